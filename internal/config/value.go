package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// assign stores v (as parseText or parseTOML return it) in the setting's
// field of dst.
func (s *setting) assign(dst *Settings, v any) {
	switch p := s.field(dst).(type) {
	case *string:
		*p = v.(string)
	case *bool:
		*p = v.(bool)
	case *int:
		*p = int(v.(int64)) // bounded by the setting's max
	case *int64:
		*p = v.(int64)
	case *time.Duration:
		*p = v.(time.Duration)
	case *[]string:
		*p = v.([]string)
	default:
		panic(fmt.Sprintf("config: setting %s has a field of type %T", s.name, p))
	}
}

// toml writes the setting's value in src as a TOML value.
func (s *setting) toml(src *Settings) string {
	switch p := s.field(src).(type) {
	case *string:
		return tomlString(*p)
	case *bool:
		return strconv.FormatBool(*p)
	case *int:
		return strconv.Itoa(*p)
	case *int64:
		if s.kind == kindSize {
			return tomlString(FormatSize(*p))
		}
		return strconv.FormatInt(*p, 10)
	case *time.Duration:
		return tomlString(formatDuration(*p))
	case *[]string:
		q := make([]string, len(*p))
		for i, e := range *p {
			q[i] = tomlString(e)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	panic(fmt.Sprintf("config: setting %s has a field of type %T", s.name, s.field(src)))
}

// text writes the setting's value in src as a flag would take it.
func (s *setting) text(src *Settings) string {
	switch p := s.field(src).(type) {
	case *string:
		return *p
	case *[]string:
		return strings.Join(*p, ",")
	}
	return strings.Trim(s.toml(src), `"`)
}

// tomlString writes a TOML basic string: quotes and backslashes escaped,
// control characters as \uXXXX, the rest (Chinese included) as it is.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case unicode.IsControl(r) || r == unicode.ReplacementChar:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
