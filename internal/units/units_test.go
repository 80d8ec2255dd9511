package units

import "testing"

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 6: "6 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 10 << 20: "10.0 MiB", 3 << 30: "3.0 GiB", 1 << 62: "4.0 EiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	good := map[string]int64{
		"0": 0, "1048576": 1 << 20, "10GiB": 10 << 30, "10 GiB": 10 << 30, "10G": 10 << 30, "10g": 10 << 30,
		"1.5 MiB": 3 << 19, "2 GB": 2e9, "500mb": 5e8, "7 B": 7, "1 TiB": 1 << 40, " 3 KiB ": 3 << 10, "0.5B": 0,
	}
	for in, want := range good {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GiB", "-1", "10 XB", "1e3", "1.2.3 MiB", "10 GiB extra", "9000000 PiB"} {
		if got, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %d; want an error", in, got)
		}
	}
	// What Bytes writes, Parse reads back (to Bytes' one decimal).
	for _, n := range []int64{6, 1536, 10 << 20, 3 << 30} {
		if got, err := Parse(Bytes(n)); err != nil || got != n {
			t.Errorf("Parse(Bytes(%d) = %q) = %d, %v", n, Bytes(n), got, err)
		}
	}
}
