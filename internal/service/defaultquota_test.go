package service

import (
	"context"
	"errors"
	"testing"
)

// A registration gives the new user the configured default quota, and
// the quota holds at once; without one the user has none.
func TestRegisterGivesDefaultQuota(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		quota int64
	}{
		{"no default quota", 0},
		{"default quota 64 KiB", 64 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, reg, _ := accountsService(t, t.TempDir(), func(c *Config) { c.DefaultQuota = tc.quota })
			if err := s.Register(ctx, "quinn", "quinn's password", "10.0.0.1"); err != nil {
				t.Fatal(err)
			}
			u, ok := reg.Get("quinn")
			if !ok {
				t.Fatal("quinn is not in the registry")
			}
			if u.QuotaBytes != tc.quota {
				t.Errorf("QuotaBytes = %d; want %d", u.QuotaBytes, tc.quota)
			}
			sess, err := s.Login(ctx, "quinn", "quinn's password", "10.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			used, err := s.Usage(ctx, sess)
			if err != nil {
				t.Fatal(err)
			}
			if used.Quota != tc.quota {
				t.Errorf("Usage().Quota = %d; want %d", used.Quota, tc.quota)
			}
			// An upload larger than the quota is refused when there is one.
			up, err := s.OpenUpload(ctx, sess, "big", 128<<10, UploadResume)
			if err == nil {
				up.Close()
			}
			var qe *QuotaError
			if got := errors.As(err, &qe); got != (tc.quota > 0) {
				t.Errorf("opening an upload of 128 KiB: %v; want a quota error: %v", err, tc.quota > 0)
			}
		})
	}
}
