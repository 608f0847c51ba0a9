package withings

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ohx-health/ohx/internal/health"
)

// webhook is a callback server that records what Withings sends it.
type webhook struct {
	mu     sync.Mutex
	heads  int
	posts  []Notification
	status int // answer to HEAD; 0 means 200
	srv    *httptest.Server
}

func newWebhook(t *testing.T) *webhook {
	t.Helper()
	w := &webhook{}
	w.srv = httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webhook) serve(rw http.ResponseWriter, r *http.Request) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if r.URL.Query().Get("token") != "hook-secret" {
		rw.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch r.Method {
	case http.MethodHead:
		w.heads++
		if w.status != 0 {
			rw.WriteHeader(w.status)
		}
	case http.MethodPost:
		body, _ := io.ReadAll(r.Body)
		n, err := ParseNotification(r.Header.Get("Content-Type"), body)
		if err != nil {
			rw.WriteHeader(http.StatusBadRequest)
			return
		}
		w.posts = append(w.posts, n)
	}
}

func (w *webhook) url() string { return w.srv.URL + "/webhooks/withings/?token=hook-secret" }

func (w *webhook) received() (int, []Notification) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.heads, append([]Notification(nil), w.posts...)
}

func TestSubscriptionLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, nil)
	hook := newWebhook(t)
	tok := e.token()
	for _, a := range []Appli{AppliWeight, AppliSleep} {
		if err := e.client.Subscribe(ctx, tok, hook.url(), a, "ohx"); err != nil {
			t.Fatalf("subscribe %d: %v", a, err)
		}
	}
	if heads, _ := hook.received(); heads != 2 {
		t.Errorf("HEAD probes = %d, want one per subscribe", heads)
	}
	subs, err := e.client.ListSubscriptions(ctx, tok, 0)
	if err != nil {
		t.Fatal(err)
	}
	forever := time.Unix(2147483647, 0).UTC()
	want := []Subscription{
		{Appli: AppliWeight, CallbackURL: hook.url(), Comment: "ohx", Expires: forever},
		{Appli: AppliSleep, CallbackURL: hook.url(), Comment: "ohx", Expires: forever},
	}
	if diff := cmp.Diff(want, subs); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	got, err := e.client.GetSubscription(ctx, tok, hook.url(), AppliSleep)
	if err != nil || got.Appli != AppliSleep || got.CallbackURL != hook.url() {
		t.Errorf("get = %+v, %v", got, err)
	}
	if err := e.client.RevokeSubscription(ctx, tok, hook.url(), AppliWeight); err != nil {
		t.Fatal(err)
	}
	subs, err = e.client.ListSubscriptions(ctx, tok, AppliWeight)
	if err != nil || len(subs) != 0 {
		t.Errorf("after revoke: %+v, %v", subs, err)
	}
	_, err = e.client.GetSubscription(ctx, tok, hook.url(), AppliWeight)
	wantKind(t, err, health.KindInvalid)
	noSecrets(t, err, "hook-secret")
}

func TestSubscribeRefusedWhenProbeFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	hook := newWebhook(t)
	hook.status = http.StatusMethodNotAllowed
	err := e.client.Subscribe(context.Background(), e.token(), hook.url(), AppliWeight, "")
	wantKind(t, err, health.KindInvalid)
	noSecrets(t, err, "hook-secret")
	if subs := e.emu.Subscriptions(testUser); len(subs) != 0 {
		t.Errorf("subscription stored despite the failed probe: %d", len(subs))
	}
}

// TestNewDataIsNotifiedAndFetchable is the webhook path end to end: new
// data generated in the emulator is announced to the subscribed callback,
// and the window in the notification finds it through the client.
func TestNewDataIsNotifiedAndFetchable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, nil)
	hook := newWebhook(t)
	tok := e.token()
	for _, a := range DefaultApplis {
		if err := e.client.Subscribe(ctx, tok, hook.url(), a, ""); err != nil {
			t.Fatal(err)
		}
	}
	at := testNow.Add(-5 * time.Minute)
	checks := []struct {
		appli Appli
		fetch func(n Notification) (json.RawMessage, string, error)
	}{
		{AppliWeight, func(n Notification) (json.RawMessage, string, error) {
			p, err := e.client.GetMeas(ctx, tok, MeasureQuery{Types: []int{1}, Start: n.Start, End: n.End})
			return first(p), "measuregrps", err
		}},
		{AppliPressure, func(n Notification) (json.RawMessage, string, error) {
			p, err := e.client.GetMeas(ctx, tok, MeasureQuery{Types: []int{9, 10, 11}, Start: n.Start, End: n.End})
			return first(p), "measuregrps", err
		}},
		{AppliECG, func(n Notification) (json.RawMessage, string, error) {
			p, err := e.client.ListHeart(ctx, tok, n.Start, n.End)
			return first(p), "series", err
		}},
		{AppliSleep, func(n Notification) (json.RawMessage, string, error) {
			p, err := e.client.GetSleepSummary(ctx, tok, DayQuery{From: n.End, To: n.End})
			return first(p), "series", err
		}},
		{AppliActivity, func(n Notification) (json.RawMessage, string, error) {
			p, err := e.client.GetActivity(ctx, tok, DayQuery{From: n.End, To: n.End})
			return first(p), "activities", err
		}},
	}
	for i, c := range checks {
		at := at.Add(time.Duration(i) * time.Minute)
		if err := e.emu.GenerateNew(ctx, testUser, int(c.appli), at); err != nil {
			t.Fatalf("generate %d: %v", c.appli, err)
		}
		_, posts := hook.received()
		if len(posts) != i+1 {
			t.Fatalf("after appli %d: %d notifications, want %d", c.appli, len(posts), i+1)
		}
		n := posts[i]
		if n.UserID != testUser || n.Appli != c.appli || n.Start.IsZero() || !n.End.Equal(at) {
			t.Errorf("notification = %+v, want appli %d ending at %s", n, c.appli, at)
		}
		body, key, err := c.fetch(n)
		if err != nil {
			t.Fatalf("fetch after appli %d: %v", c.appli, err)
		}
		if items := field[[]json.RawMessage](t, body, key); len(items) != 1 {
			t.Errorf("appli %d: %d items in the notified window, want 1", c.appli, len(items))
		}
	}
}

func TestEventNotifications(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, nil)
	hook := newWebhook(t)
	tok := e.token()
	for _, a := range []Appli{AppliUser, AppliBedIn} {
		if err := e.client.Subscribe(ctx, tok, hook.url(), a, ""); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []Appli{AppliUser, AppliBedIn, AppliWeight} { // nobody subscribed to 1
		if err := e.emu.GenerateNew(ctx, testUser, int(a), testNow); err != nil {
			t.Fatal(err)
		}
	}
	_, posts := hook.received()
	if len(posts) != 2 || posts[0].Action != "update" || posts[1].DeviceID == "" || !posts[1].Date.Equal(testNow) {
		t.Errorf("event notifications = %+v", posts)
	}
	if d := e.emu.Deliveries(); len(d) != 2 || d[0].StatusCode != http.StatusOK {
		t.Errorf("deliveries = %+v", d)
	}
}

func first(pages []json.RawMessage) json.RawMessage {
	if len(pages) == 0 {
		return json.RawMessage(`{}`)
	}
	return pages[0]
}

func TestSubscriptionStringHidesSecret(t *testing.T) {
	t.Parallel()
	s := Subscription{Appli: AppliWeight, CallbackURL: "https://ohx.example/webhooks/withings/?token=hook-secret"}
	for _, f := range []string{fmt.Sprint(s), fmt.Sprintf("%+v", s), fmt.Sprint([]Subscription{s})} {
		if strings.Contains(f, "hook-secret") || !strings.Contains(f, "ohx.example") {
			t.Errorf("formatted subscription = %s", f)
		}
	}
}
