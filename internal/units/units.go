// Package units writes sizes for people, one way everywhere: "6 B",
// "1.5 MiB" (binary multiples, one decimal past a KiB).
package units

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Bytes writes n bytes for people.
func Bytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n)
	i := -1
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}

// Parse reads a size as people write it: a number of bytes ("1048576"),
// or a number with a unit: binary ones as Bytes writes them ("10 GiB",
// "1.5MiB"; "10G" and "10g" mean the same), or decimal ones ("10 GB" is
// 10,000,000,000 bytes), in any case. A fraction of a byte is dropped.
func Parse(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	mult, ok := multiples[strings.ToLower(unit)]
	v, err := strconv.ParseFloat(num, 64)
	if num == "" || err != nil || !ok || v < 0 {
		return 0, fmt.Errorf("%q is not a size such as 500 MiB, 10GiB, 2 GB or 1048576 (bytes)", s)
	}
	bytes := v * float64(mult)
	if bytes >= math.Exp2(63) {
		return 0, fmt.Errorf("%q is too large a size", s)
	}
	return int64(bytes), nil
}

// multiples are the units Parse knows, in lower case.
var multiples = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
	"p": 1 << 50, "pib": 1 << 50, "pb": 1e15,
}
