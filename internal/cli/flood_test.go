package cli

import (
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"netdisk/internal/proto"
)

// loginFrom tries one login on a new plaintext connection from the local
// address ip and returns the reply type or error code.
func loginFrom(t *testing.T, addr, ip, name, password string) string {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Errorf("dial from %s: %v", ip, err)
		return "dial error"
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(nc, proto.Preamble)
	r, w := proto.NewReader(nc), proto.NewWriter(nc)
	hello, err := r.ReadHeader()
	if err != nil {
		return "no hello"
	}
	if hello.Type == "error" {
		// Refused at once (the per-address cap on connections not yet
		// logged in): say why, rather than "closed".
		var e proto.Error
		hello.Decode(&e)
		return e.Code
	}
	w.WriteMsg(1, proto.Login{User: name, Password: password}, 0)
	w.Flush()
	h, err := r.ReadHeader()
	if err != nil {
		return "closed"
	}
	if h.Type == "error" {
		var e proto.Error
		h.Decode(&e)
		return e.Code
	}
	return h.Type
}

// TestLoginFlood: 100 logins a second with wrong passwords, against one
// user and against many names from one address, on a server running as
// its own process. The guesses are slowed per user and per address (no
// argon2 work for refused attempts), an unrelated user still logs in, and
// the server's memory stays bounded even when many correct logins run the
// expensive hash at once.
func TestLoginFlood(t *testing.T) {
	srv := startProcServer(t, filepath.Join(t.TempDir(), "data"), "--plaintext")
	u := srv.user(t, true)
	u.ok("victim password\n", "register", "--password-stdin", "victim")
	u.ok("bystander password\n", "register", "--password-stdin", "bystander")
	for i := range 20 {
		u.ok("crowd password\n", "register", "--password-stdin", fmt.Sprintf("crowd%02d", i))
	}

	stopWatch := srv.watchRSS()

	flood := func(n int, attempt func(i int) string) map[string]int {
		counts := map[string]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		tick := time.NewTicker(10 * time.Millisecond) // 100 a second
		defer tick.Stop()
		for i := range n {
			<-tick.C
			wg.Add(1)
			go func() {
				defer wg.Done()
				code := attempt(i)
				mu.Lock()
				counts[code]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		return counts
	}

	// One user, guesses from many addresses: the user's limit applies.
	perUser := flood(100, func(i int) string {
		return loginFrom(t, srv.addr, fmt.Sprintf("127.0.1.%d", 1+i), "victim", fmt.Sprintf("guess %d", i))
	})
	t.Logf("100 guesses at one user: %v", perUser)
	if perUser[proto.CodeAuthFailed] > 10 || perUser[proto.CodeRateLimited] < 85 {
		t.Errorf("per-user limit: %v; want at most 10 checked guesses, the rest rate_limited", perUser)
	}
	// Many names from one address: the address's limit applies.
	perAddr := flood(100, func(i int) string {
		return loginFrom(t, srv.addr, "127.0.2.1", fmt.Sprintf("name%03d", i), "some guess")
	})
	t.Logf("100 guesses from one address: %v", perAddr)
	// A machine slow enough to let more than 64 of them wait at once
	// sees the excess refused at the door (server_busy): refused without
	// a hash all the same.
	if perAddr[proto.CodeAuthFailed] > 25 || perAddr[proto.CodeRateLimited]+perAddr[proto.CodeServerBusy] < 70 {
		t.Errorf("per-address limit: %v; want at most 25 checked guesses, the rest rate_limited", perAddr)
	}
	// Meanwhile others are served.
	if got := loginFrom(t, srv.addr, "127.0.3.1", "bystander", "bystander password"); got != "session" {
		t.Errorf("a bystander's login during the flood: %s", got)
	}
	// Correct logins of 20 users from 60 addresses at once all run argon2:
	// they queue for a bounded number of slots instead of each taking
	// 19 MiB at once. (At most 5 attempts of one user are checked at once,
	// so the 60 are spread over 20 users.)
	ok := flood(60, func(i int) string {
		return loginFrom(t, srv.addr, fmt.Sprintf("127.0.4.%d", 1+i), fmt.Sprintf("crowd%02d", i%20), "crowd password")
	})
	if ok["session"] != 60 {
		t.Errorf("concurrent correct logins: %v", ok)
	}
	peak := stopWatch()
	t.Logf("server peak RSS during the floods: %d MiB", peak>>20)
	if peak > 96<<20 {
		t.Errorf("server RSS peaked at %d MiB", peak>>20)
	}
}
