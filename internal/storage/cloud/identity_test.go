package cloud_test

import (
	"fmt"
	"sync"
	"testing"

	"netdisk/internal/storage/cloud"
)

// TestSharedIdentity: servers starting together on one bucket end with
// one identity: exactly one of them makes it, the others read it.
func TestSharedIdentity(t *testing.T) {
	w := newWhere(t)
	stores := []*cloud.Store{w.open(t, nil), w.open(t, nil), w.open(t, nil), w.open(t, nil)}
	pems := make([][]byte, len(stores))
	created := make([]bool, len(stores))
	var wg sync.WaitGroup
	for i, st := range stores {
		wg.Go(func() {
			var err error
			pems[i], created[i], err = st.SharedIdentity(t.Context(), func() ([]byte, error) {
				return []byte(fmt.Sprintf("identity of store %d", i)), nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	makers := 0
	for i := range stores {
		if created[i] {
			makers++
		}
		if string(pems[i]) != string(pems[0]) {
			t.Fatalf("store %d got %q, store 0 %q", i, pems[i], pems[0])
		}
	}
	if makers != 1 {
		t.Fatalf("%d stores made the identity; want 1", makers)
	}
}
