// Package sessionstest is the conformance suite every sessions.Store must
// pass (sessions.File and sessions.Postgres run it).
package sessionstest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"netdisk/internal/sessions"
)

// Opener opens a store on one place (a file, a database); opened again
// after Close, it sees what the first store kept.
type Opener func(t *testing.T) sessions.Store

// Run runs the suite. fresh returns an Opener for a new, empty place.
func Run(t *testing.T, fresh func(t *testing.T) Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"CreateUseEnd", testCreateUseEnd},
		{"Expired", testExpired},
		{"ListOrder", testListOrder},
		{"LastUsed", testLastUsed},
		{"EndUser", testEndUser},
		{"GenerationRefusesLateLogin", testGeneration},
		{"EndRacesCreate", testEndRacesCreate},
		{"MaxPerUser", testMaxPerUser},
		{"Reopen", testReopen},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, fresh(t))
		})
	}
}

// opened opens a store and closes it at the end of the test.
func opened(t *testing.T, open Opener) sessions.Store {
	t.Helper()
	st := open(t)
	t.Cleanup(func() { st.Close(context.Background()) })
	return st
}

// session is a fresh session of user created at created, lasting an hour.
func session(user string, created time.Time) sessions.Session {
	_, key := sessions.NewToken()
	return sessions.Session{Key: key, User: user, Account: "acct-" + user, Created: created.UTC().Truncate(time.Microsecond),
		Expires: created.Add(time.Hour).UTC().Truncate(time.Microsecond), Door: "tcp", Addr: "127.0.0.1:5555"}
}

// create adds s at the user's present generation, failing the test if it
// is refused.
func create(t *testing.T, st sessions.Store, s sessions.Session) {
	t.Helper()
	ctx := context.Background()
	gen, err := st.Generation(ctx, s.User)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := st.Create(ctx, s, gen); err != nil || !ok {
		t.Fatalf("Create(%s) = %v, %v", s.User, ok, err)
	}
}

func use(t *testing.T, st sessions.Store, key string) (sessions.Session, bool) {
	t.Helper()
	s, ok, err := st.Use(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return s, ok
}

func list(t *testing.T, st sessions.Store, user string) []sessions.Session {
	t.Helper()
	l, err := st.List(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func same(a, b sessions.Session) bool {
	return a.Key == b.Key && a.User == b.User && a.Account == b.Account && a.Created.Equal(b.Created) &&
		a.Expires.Equal(b.Expires) && a.Door == b.Door && a.Addr == b.Addr
}

func testCreateUseEnd(t *testing.T, open Opener) {
	st := opened(t, open)
	a := session("alice", time.Now())
	create(t, st, a)
	got, ok := use(t, st, a.Key)
	if !ok || !same(got, a) {
		t.Fatalf("Use = %+v, %v; want %+v", got, ok, a)
	}
	if _, ok := use(t, st, sessions.Key("not a token anyone was given")); ok {
		t.Fatal("Use of an unknown key found a session")
	}
	if err := st.End(context.Background(), a.Key); err != nil {
		t.Fatal(err)
	}
	if _, ok := use(t, st, a.Key); ok {
		t.Fatal("Use found an ended session")
	}
	if err := st.End(context.Background(), a.Key); err != nil {
		t.Fatalf("End of an ended session = %v", err)
	}
}

func testExpired(t *testing.T, open Opener) {
	st := opened(t, open)
	old := session("alice", time.Now().Add(-2*time.Hour))
	create(t, st, old)
	if _, ok := use(t, st, old.Key); ok {
		t.Fatal("Use found an expired session")
	}
	if l := list(t, st, ""); len(l) != 0 {
		t.Fatalf("List shows %d expired sessions", len(l))
	}
}

func testListOrder(t *testing.T, open Opener) {
	st := opened(t, open)
	now := time.Now()
	var want []sessions.Session
	for i, user := range []string{"bob", "alice", "bob", "carol"} {
		s := session(user, now.Add(time.Duration(i)*time.Second))
		create(t, st, s)
		want = append(want, s)
	}
	all := list(t, st, "")
	if len(all) != len(want) {
		t.Fatalf("List = %d sessions; want %d", len(all), len(want))
	}
	for i := range want {
		if !same(all[i], want[i]) {
			t.Fatalf("List[%d] = %+v; want %+v (oldest first)", i, all[i], want[i])
		}
	}
	bobs := list(t, st, "bob")
	if len(bobs) != 2 || !same(bobs[0], want[0]) || !same(bobs[1], want[2]) {
		t.Fatalf("List(bob) = %+v", bobs)
	}
}

func testLastUsed(t *testing.T, open Opener) {
	st := opened(t, open)
	s := session("alice", time.Now())
	create(t, st, s)
	before := time.Now().Add(-time.Minute) // a database's clock may differ a little
	if _, ok := use(t, st, s.Key); !ok {
		t.Fatal("Use found nothing")
	}
	got, ok := use(t, st, s.Key)
	if !ok || got.LastUsed.Before(before) || got.LastUsed.After(time.Now().Add(time.Minute)) {
		t.Fatalf("LastUsed after use = %v (ok %v); want about now", got.LastUsed, ok)
	}
	l := list(t, st, "alice")
	if len(l) != 1 || !l[0].LastUsed.Equal(got.LastUsed) {
		t.Fatalf("List shows LastUsed %+v; want %v", l, got.LastUsed)
	}
}

func testEndUser(t *testing.T, open Opener) {
	st := opened(t, open)
	now := time.Now()
	for range 3 {
		create(t, st, session("alice", now))
	}
	bob := session("bob", now)
	create(t, st, bob)
	n, err := st.EndUser(context.Background(), "alice")
	if err != nil || n != 3 {
		t.Fatalf("EndUser(alice) = %d, %v; want 3", n, err)
	}
	if l := list(t, st, "alice"); len(l) != 0 {
		t.Fatalf("%d sessions of alice left", len(l))
	}
	if _, ok := use(t, st, bob.Key); !ok {
		t.Fatal("ending alice's sessions ended bob's")
	}
	if n, err := st.EndUser(context.Background(), "nobody"); err != nil || n != 0 {
		t.Fatalf("EndUser(nobody) = %d, %v", n, err)
	}
}

// testGeneration: a login whose password was checked before the user's
// sessions were all ended starts no session after that end; one checked
// after it does, and another user's end changes nothing.
func testGeneration(t *testing.T, open Opener) {
	ctx := context.Background()
	st := opened(t, open)
	gen, err := st.Generation(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	st.EndUser(ctx, "alice") // passwd while the login's hash was checked
	st.EndUser(ctx, "bob")
	if ok, err := st.Create(ctx, session("alice", time.Now()), gen); ok || err != nil {
		t.Fatalf("a login checked before the end started a session after it (%v, %v)", ok, err)
	}
	if l := list(t, st, "alice"); len(l) != 0 {
		t.Fatalf("%d sessions of alice", len(l))
	}
	gen, _ = st.Generation(ctx, "alice")
	st.EndUser(ctx, "bob")
	if ok, err := st.Create(ctx, session("alice", time.Now()), gen); !ok || err != nil {
		t.Fatalf("a login checked after the end started no session (%v, %v)", ok, err)
	}
}

// testEndRacesCreate: a login and an end of the same user at once leave
// no session, whichever comes first: either the login is refused, or its
// session exists before the end and is ended by it.
func testEndRacesCreate(t *testing.T, open Opener) {
	ctx := context.Background()
	st := opened(t, open)
	for i := range 40 {
		user := fmt.Sprintf("racer%d", i%4)
		gen, err := st.Generation(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := st.Create(ctx, session(user, time.Now()), gen); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if _, err := st.EndUser(ctx, user); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		if l := list(t, st, user); len(l) != 0 {
			t.Fatalf("round %d: a session of %s outlived an end that raced its login", i, user)
		}
	}
}

func testMaxPerUser(t *testing.T, open Opener) {
	st := opened(t, open)
	now := time.Now()
	var first sessions.Session
	for i := range sessions.MaxPerUser + 3 {
		s := session("alice", now.Add(time.Duration(i)*time.Millisecond))
		if i == 0 {
			first = s
		}
		create(t, st, s)
	}
	create(t, st, session("bob", now))
	if l := list(t, st, "alice"); len(l) != sessions.MaxPerUser {
		t.Fatalf("alice has %d sessions; want %d", len(l), sessions.MaxPerUser)
	}
	if _, ok := use(t, st, first.Key); ok {
		t.Fatal("the oldest session outlived the limit")
	}
	if l := list(t, st, "bob"); len(l) != 1 {
		t.Fatalf("bob has %d sessions", len(l))
	}
}

func testReopen(t *testing.T, open Opener) {
	st := open(t)
	a := session("alice", time.Now())
	create(t, st, a)
	ended := session("bob", time.Now())
	create(t, st, ended)
	if err := st.End(context.Background(), ended.Key); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(context.Background()); err != nil {
		t.Fatalf("Close = %v", err)
	}
	again := opened(t, open)
	if got, ok := use(t, again, a.Key); !ok || !same(got, a) {
		t.Fatalf("after reopening, Use = %+v, %v; want %+v", got, ok, a)
	}
	if _, ok := use(t, again, ended.Key); ok {
		t.Fatal("an ended session is back after reopening")
	}
}
