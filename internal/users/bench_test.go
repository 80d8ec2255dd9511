package users

import (
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"netdisk/internal/atomicfile"
)

// benchUsers builds n users directly, sharing one real hash, since hashing
// 100,000 passwords would measure argon2 instead of the workbook.
func benchUsers(b *testing.B, n int) []User {
	b.Helper()
	hash := cheapHash(b, "password")
	when := time.Date(2026, 11, 22, 15, 4, 5, 0, time.UTC)
	users := make([]User, n)
	for i := range users {
		users[i] = User{
			Name:            fmt.Sprintf("user%06d", i), // already in sorted order
			PasswordHash:    hash,
			Registered:      when,
			PasswordChanged: when,
			QuotaBytes:      int64(i) << 20,
			Disabled:        i%10 == 0,
			AccountID:       newAccountID(),
		}
	}
	return users
}

// BenchmarkRewrite measures one full atomic rewrite of a 100,000-user
// workbook: the cost every group commit pays at that size.
func BenchmarkRewrite(b *testing.B) {
	users := benchUsers(b, 100_000)
	path := filepath.Join(b.TempDir(), "users.xlsx")
	for b.Loop() {
		err := atomicfile.WriteFunc(path, 0o600, func(w io.Writer) error { return writeWorkbook(w, users, newMark()) })
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen measures loading a 100,000-user workbook at start-up.
func BenchmarkOpen(b *testing.B) {
	users := benchUsers(b, 100_000)
	path := filepath.Join(b.TempDir(), "users.xlsx")
	if err := atomicfile.WriteFunc(path, 0o600, func(w io.Writer) error { return writeWorkbook(w, users, newMark()) }); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		r, err := Open(path, nil)
		if err != nil {
			b.Fatal(err)
		}
		if r.Len() != len(users) {
			b.Fatalf("Len = %d", r.Len())
		}
		r.Close()
	}
}
