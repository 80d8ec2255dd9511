package config

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// kind is the type of a setting's value and how it is written.
type kind int

const (
	kindString   kind = iota // any text
	kindAddr                 // HOST:PORT, or one of the setting's words
	kindWord                 // one of the setting's words
	kindBool                 // true or false
	kindCount                // a whole number within min..max, or one of also
	kindSize                 // bytes: a whole number, or a number with a unit (10GiB)
	kindDuration             // Go syntax (90s, 10m, 1h30m), more than zero
	kindProxies              // addresses or CIDR prefixes
)

// parseText reads a value written as text: a flag's argument or an
// environment variable. The result is string, bool, int64,
// time.Duration or []string, as the kind says.
func (s *setting) parseText(text string) (any, error) {
	switch s.kind {
	case kindBool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return nil, fmt.Errorf("must be true or false, got %q", text)
		}
		return b, nil
	case kindCount:
		n, err := strconv.ParseInt(strings.ReplaceAll(text, "_", ""), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("must be a whole number, got %q", text)
		}
		return s.checkCount(n)
	case kindSize:
		n, err := ParseSize(text)
		if err != nil {
			return nil, err
		}
		return s.checkSize(n)
	case kindDuration:
		return s.checkDuration(text)
	case kindProxies:
		var list []string
		for _, p := range strings.Split(text, ",") {
			if p = strings.TrimSpace(p); p != "" {
				list = append(list, p)
			}
		}
		return checkProxies(list)
	}
	return s.checkString(text)
}

// parseTOML reads a value of a TOML file, as go-toml decodes it into an
// any: string, bool, int64, float64, []any, map[string]any or a time.
func (s *setting) parseTOML(v any) (any, error) {
	switch s.kind {
	case kindBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, fmt.Errorf("must be true or false, got %s", tomlShow(v))
	case kindCount:
		if n, ok := v.(int64); ok {
			return s.checkCount(n)
		}
		return nil, fmt.Errorf("must be a whole number, got %s", tomlShow(v))
	case kindSize:
		switch v := v.(type) {
		case int64:
			return s.checkSize(v)
		case string:
			n, err := ParseSize(v)
			if err != nil {
				return nil, err
			}
			return s.checkSize(n)
		}
		return nil, fmt.Errorf(`must be a size such as "10GiB" or a number of bytes, got %s`, tomlShow(v))
	case kindDuration:
		if d, ok := v.(string); ok {
			return s.checkDuration(d)
		}
		return nil, fmt.Errorf(`must be a duration in quotes such as "30s" or "10m", got %s`, tomlShow(v))
	case kindProxies:
		switch v := v.(type) {
		case string:
			return s.parseText(v)
		case []any:
			list := make([]string, 0, len(v))
			for _, e := range v {
				str, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("must be a list of addresses or CIDR prefixes in quotes, got %s in it", tomlShow(e))
				}
				list = append(list, str)
			}
			return checkProxies(list)
		}
		return nil, fmt.Errorf(`must be a list such as ["10.0.0.0/8"], got %s`, tomlShow(v))
	}
	str, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("must be a string in quotes, got %s", tomlShow(v))
	}
	return s.checkString(str)
}

func (s *setting) checkString(text string) (any, error) {
	switch s.kind {
	case kindWord:
		w := strings.ToLower(text)
		if !slices.Contains(s.words, w) {
			return nil, fmt.Errorf("must be %s, got %q", orList(s.words), text)
		}
		return w, nil
	case kindAddr:
		if slices.Contains(s.words, text) {
			return text, nil
		}
		if err := checkAddr(text); err != nil {
			if len(s.words) > 0 {
				return nil, fmt.Errorf("%v (or %s)", err, orList(quoteAll(s.words)))
			}
			return nil, err
		}
	}
	return text, nil
}

func (s *setting) checkCount(n int64) (any, error) {
	if slices.Contains(s.also, n) {
		return n, nil
	}
	note := ""
	if s.note != "" {
		note = " (" + s.note + ")"
	}
	switch {
	case n < s.min && s.min == 1:
		return nil, fmt.Errorf("must be a positive number, got %d%s", n, note)
	case n < s.min || n > s.max:
		return nil, fmt.Errorf("must be between %d and %d, got %d%s", s.min, s.max, n, note)
	}
	return n, nil
}

func (s *setting) checkSize(n int64) (any, error) {
	switch {
	case n < 0:
		return nil, fmt.Errorf("must not be negative, got %d", n)
	case n < s.min || n > s.max:
		return nil, fmt.Errorf("must be between %s and %s, got %s", FormatSize(s.min), FormatSize(s.max), FormatSize(n))
	case s.unit > 0 && n%s.unit != 0:
		return nil, fmt.Errorf("must be a whole number of %s, got %d bytes", FormatSize(s.unit), n)
	}
	return n, nil
}

func (s *setting) checkDuration(text string) (any, error) {
	d, err := time.ParseDuration(text)
	if err != nil {
		return nil, fmt.Errorf("must be a duration such as 30s, 10m or 1h30m, got %q", text)
	}
	if d <= 0 {
		return nil, fmt.Errorf("must be more than zero, got %q", text)
	}
	return d, nil
}

// checkAddr accepts HOST:PORT with a numeric port (HOST may be empty:
// every interface).
func checkAddr(text string) error {
	_, port, err := net.SplitHostPort(text)
	if err == nil {
		var p uint64
		if p, err = strconv.ParseUint(port, 10, 16); err == nil && p <= math.MaxUint16 {
			return nil
		}
	}
	return fmt.Errorf("must be HOST:PORT such as :7070 or 127.0.0.1:7070, got %q", text)
}

func checkProxies(list []string) (any, error) {
	for _, p := range list {
		if _, err := ParsePrefix(p); err != nil {
			return nil, fmt.Errorf("must be addresses or CIDR prefixes such as 10.0.0.0/8, got %q", p)
		}
	}
	return list, nil
}

// ParsePrefix reads an address (a prefix of its full length) or a CIDR
// prefix.
func ParsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// sizeUnits are the units ParseSize knows, in lower case: binary ones,
// their one-letter short forms (as the client's --bwlimit), and decimal
// ones.
var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20,
	"g": 1 << 30, "gib": 1 << 30, "t": 1 << 40, "tib": 1 << 40, "p": 1 << 50, "pib": 1 << 50,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "pb": 1e15,
}

// ParseSize reads a size: a number of bytes, or a number (with a
// fraction if need be) and a unit: 512KiB, 10GiB, 1.5T (binary), 100MB
// (decimal). A fraction of a byte is refused.
func ParseSize(text string) (int64, error) {
	bad := fmt.Errorf("must be a size such as 10GiB, 512MiB or a number of bytes, got %q", text)
	t := strings.TrimSpace(text)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' && r != '_' && r != '-' && r != '+' })
	if i < 0 {
		i = len(t)
	}
	num, unit := strings.ReplaceAll(t[:i], "_", ""), strings.ToLower(strings.TrimSpace(t[i:]))
	mult, ok := sizeUnits[unit]
	if !ok || num == "" {
		return 0, bad
	}
	if n, err := strconv.ParseInt(num, 10, 64); err == nil && mult == 1 {
		return n, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(f) {
		return 0, bad
	}
	v := f * mult
	if v >= 1<<63 || v < -(1<<63) {
		return 0, fmt.Errorf("must be at most 8 EiB, got %q", text)
	}
	if v != math.Trunc(v) {
		return 0, fmt.Errorf("must be a whole number of bytes, got %q", text)
	}
	return int64(v), nil
}

// FormatSize writes n in the largest binary unit that divides it
// exactly, so that ParseSize reads back the same number: 10GiB, 1536KiB,
// 1000.
func FormatSize(n int64) string {
	units := []string{"PiB", "TiB", "GiB", "MiB", "KiB"}
	for i, u := range units {
		m := int64(1) << (10 * (len(units) - i))
		if n != 0 && n%m == 0 {
			return strconv.FormatInt(n/m, 10) + u
		}
	}
	return strconv.FormatInt(n, 10)
}

// formatDuration writes d as Go does, without its zero minutes and
// seconds: 168h, 1h30m, 90s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func tomlShow(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case []any:
		return "a list"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprint(v)
}

func orList(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

func quoteAll(words []string) []string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = strconv.Quote(w)
	}
	return q
}
