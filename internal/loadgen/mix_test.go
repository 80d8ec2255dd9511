package loadgen

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"netdisk/internal/client"
	"netdisk/internal/proto"
)

func TestParseMix(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "" for an error
	}{
		{"login=1,ls=4,put=2,get=2", "login=1,ls=4,put=2,get=2"},
		{" LS = 3 , stat ", "ls=3,stat=1"},
		{"mkdir=1,rm=1,put=0", "mkdir=1,rm=1"},
		{"ls=1,ls=2", ""},
		{"cp=1", ""},
		{"ls=-1", ""},
		{"ls=x", ""},
		{"put=0", ""},
		{"", ""},
	} {
		m, err := ParseMix(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("ParseMix(%q) = %v, want an error", tc.in, m)
			}
			continue
		}
		if err != nil || m.String() != tc.want {
			t.Errorf("ParseMix(%q) = %v, %v; want %s", tc.in, m, err, tc.want)
		}
	}
}

func TestMixPickFollowsWeights(t *testing.T) {
	m, _ := ParseMix("ls=3,put=1")
	rng := rand.New(rand.NewPCG(1, 2))
	n := map[Op]int{}
	for range 40000 {
		n[m.pick(rng)]++
	}
	if n[OpLs] < 29000 || n[OpLs] > 31000 || n[OpLs]+n[OpPut] != 40000 {
		t.Errorf("picks %v, want about 3:1", n)
	}
}

func TestParseSizes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int64 // nil for an error
	}{
		{"64KiB", []int64{64 << 10}},
		{"4096,1.5MiB, 1G", []int64{4096, 3 << 19, 1 << 30}},
		{"2k,3MB,0", []int64{2048, 3_000_000, 0}},
		{"2GiB", nil},
		{"-1", nil},
		{"lots", nil},
		{",", nil},
	} {
		got, err := ParseSizes(tc.in)
		if tc.want == nil {
			if err == nil {
				t.Errorf("ParseSizes(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseSizes(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestErrorCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&proto.Error{Code: proto.CodeRateLimited}, "rate_limited"},
		{errors.Join(errors.New("x"), client.ErrTimeout), "timeout"},
		{client.ErrConnLost, "connection_lost"},
		{client.ErrChecksumMismatch, "checksum_mismatch"},
		{errors.New("odd"), "other"},
	} {
		if got := ErrorCode(tc.err); got != tc.want {
			t.Errorf("ErrorCode(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
