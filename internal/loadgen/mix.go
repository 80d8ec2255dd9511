package loadgen

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"netdisk/internal/units"
)

// Op is one kind of operation a client performs.
type Op string

// The operations of a mix.
const (
	OpLogin Op = "login" // log out and log in again on the connection (a password check)
	OpLs    Op = "ls"    // list the client's folder
	OpStat  Op = "stat"  // stat a file the client uploaded
	OpPut   Op = "put"   // upload a file (overwriting one of a few names)
	OpGet   Op = "get"   // download a file the client uploaded, verified, to nowhere
	OpMkdir Op = "mkdir" // make a new folder
	OpRm    Op = "rm"    // remove a folder made by mkdir, or a file put
)

// Ops are the operations in the order reports list them.
var Ops = []Op{OpLogin, OpLs, OpStat, OpMkdir, OpRm, OpPut, OpGet}

// Weighted is an operation and its share of a mix.
type Weighted struct {
	Op     Op
	Weight int
}

// Mix is the operations a run draws from, each with its weight.
type Mix []Weighted

// DefaultMix is the mix when none is given.
const DefaultMix = "login=1,ls=4,stat=2,put=2,get=2"

// ParseMix reads "login=1,ls=4,put=2,get=2": operations with their weights
// (a weight of 0 leaves an operation out; an operation alone means 1).
func ParseMix(s string) (Mix, error) {
	var m Mix
	seen := map[Op]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, weight, hasWeight := strings.Cut(part, "=")
		op := Op(strings.ToLower(strings.TrimSpace(name)))
		if !known(op) {
			return nil, fmt.Errorf("unknown operation %q in the mix (known: %s)", name, opNames())
		}
		if seen[op] {
			return nil, fmt.Errorf("operation %s given twice in the mix", op)
		}
		seen[op] = true
		w := 1
		if hasWeight {
			var err error
			if w, err = strconv.Atoi(strings.TrimSpace(weight)); err != nil || w < 0 || w > 1_000_000 {
				return nil, fmt.Errorf("the weight of %s in the mix must be a whole number from 0 to 1000000, not %q", op, weight)
			}
		}
		if w > 0 {
			m = append(m, Weighted{op, w})
		}
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("the mix %q has no operation with a weight above 0 (e.g. %s)", s, DefaultMix)
	}
	return m, nil
}

func known(op Op) bool {
	for _, o := range Ops {
		if o == op {
			return true
		}
	}
	return false
}

func opNames() string {
	names := make([]string, len(Ops))
	for i, o := range Ops {
		names[i] = string(o)
	}
	return strings.Join(names, ", ")
}

// String writes the mix as ParseMix reads it.
func (m Mix) String() string {
	parts := make([]string, len(m))
	for i, w := range m {
		parts[i] = fmt.Sprintf("%s=%d", w.Op, w.Weight)
	}
	return strings.Join(parts, ",")
}

// Has reports whether op is in the mix.
func (m Mix) Has(op Op) bool {
	for _, w := range m {
		if w.Op == op {
			return true
		}
	}
	return false
}

// pick draws an operation by weight.
func (m Mix) pick(rng *rand.Rand) Op {
	total := 0
	for _, w := range m {
		total += w.Weight
	}
	n := rng.IntN(total)
	for _, w := range m {
		if n < w.Weight {
			return w.Op
		}
		n -= w.Weight
	}
	return m[len(m)-1].Op
}

// MaxSize bounds one file size of a run (each size is a local file, and
// every client uploads it).
const MaxSize = 1 << 30

// ParseSizes reads "64KiB" or a list "4KiB,64KiB,1MiB" (each put picks one
// at random), in the units of every size netdisk reads (units.Parse: K,
// KiB binary, KB decimal).
func ParseSizes(s string) ([]int64, error) {
	var sizes []int64
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		n, err := parseSize(part)
		if err != nil {
			return nil, err
		}
		sizes = append(sizes, n)
	}
	if len(sizes) == 0 {
		return nil, fmt.Errorf("no file size in %q (e.g. 64KiB, or 4KiB,1MiB)", s)
	}
	return sizes, nil
}

func parseSize(s string) (int64, error) {
	n, err := units.Parse(s)
	if err != nil || n > MaxSize {
		return 0, fmt.Errorf("a file size is a number of bytes up to 1GiB, such as 4096, 64KiB or 1.5MiB, not %q", s)
	}
	return n, nil
}
