package sessions_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"netdisk/internal/sessions"
	"netdisk/internal/sessions/sessionstest"
)

func TestFile(t *testing.T) {
	sessionstest.Run(t, func(t *testing.T) sessionstest.Opener {
		path := filepath.Join(t.TempDir(), "sessions.json")
		return func(t *testing.T) sessions.Store {
			st, err := sessions.OpenFile(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
	})
}

// TestFileWithoutAccountIDsDropped: sessions.json written before sessions
// carried account ids is read, and its sessions end; a damaged file is
// not an error.
func TestFileWithoutAccountIDsDropped(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sessions.json")
	sum := sha256.Sum256([]byte("a token of the earlier version"))
	key := hex.EncodeToString(sum[:])
	old, _ := json.Marshal([]map[string]any{{
		"token_sha256": key,
		"user":         "alice",
		"created":      time.Now().UTC(),
		"expires":      time.Now().Add(time.Hour).UTC(),
	}})
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := sessions.OpenFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := st.Use(ctx, key); ok {
		t.Fatal("a session without an account id was kept")
	}
	st.Close(ctx)
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err = sessions.OpenFile(path, nil)
	if err != nil {
		t.Fatalf("OpenFile of a damaged file = %v; want it ignored", err)
	}
	st.Close(ctx)
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("sessions.json: %v, %v; want mode 0600", info, err)
	}
}
