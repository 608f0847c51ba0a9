package withingstest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var testNow = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestServer(t *testing.T, cfg Config) (*Server, *clock, string) {
	t.Helper()
	c := &clock{t: testNow}
	cfg.Now = c.Now
	s := New(cfg)
	s.AddUser(User{ID: "42"})
	at, _ := s.IssueToken("42")
	return s, c, at
}

// call sends one API request through ServeHTTP and returns the envelope.
func call(t *testing.T, s *Server, method, target, token string, form url.Values) (status int, body json.RawMessage, raw []byte) {
	t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, rd)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	raw = rec.Body.Bytes()
	var env struct {
		Status int             `json:"status"`
		Body   json.RawMessage `json:"body"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return -1, nil, raw
	}
	return env.Status, env.Body, raw
}

func TestAuthorizeRejectsBadRequests(t *testing.T) {
	t.Parallel()
	s, _, _ := newTestServer(t, Config{ClientID: "app"})
	good := url.Values{"response_type": {"code"}, "client_id": {"app"}, "state": {"s"},
		"scope": {"user.metrics"}, "redirect_uri": {"https://ohx.example/cb"}}
	tests := []struct {
		name   string
		change func(url.Values)
		want   int
	}{
		{"valid", func(url.Values) {}, http.StatusFound},
		{"wrong client", func(q url.Values) { q.Set("client_id", "other") }, http.StatusBadRequest},
		{"no state", func(q url.Values) { q.Del("state") }, http.StatusBadRequest},
		{"no scope", func(q url.Values) { q.Del("scope") }, http.StatusBadRequest},
		{"relative redirect", func(q url.Values) { q.Set("redirect_uri", "/cb") }, http.StatusBadRequest},
		{"token flow", func(q url.Values) { q.Set("response_type", "token") }, http.StatusBadRequest},
	}
	for _, tt := range tests {
		q := url.Values{}
		for k, v := range good {
			q[k] = append([]string(nil), v...)
		}
		tt.change(q)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, AuthorizePath+"?"+q.Encode(), nil))
		if rec.Code != tt.want {
			t.Errorf("%s: HTTP %d, want %d", tt.name, rec.Code, tt.want)
		}
	}
}

func TestQueryStringAndFormParameters(t *testing.T) {
	t.Parallel()
	s, _, at := newTestServer(t, Config{})
	status, _, _ := call(t, s, http.MethodGet, "/measure?action=getmeas&meastypes=1&lastupdate=0", at, nil)
	if status != 0 {
		t.Errorf("GET with query parameters: status %d", status)
	}
	status, _, _ = call(t, s, http.MethodPost, "/measure", at, url.Values{"action": {"getmeas"}, "lastupdate": {"0"}})
	if status != 0 {
		t.Errorf("POST with a form: status %d", status)
	}
	status, _, _ = call(t, s, http.MethodPost, "/v2/user?access_token="+at, "", url.Values{"action": {"getdevice"}})
	if status != 0 {
		t.Errorf("legacy access_token parameter: status %d", status)
	}
}

func TestEnvelopeErrors(t *testing.T) {
	t.Parallel()
	s, _, at := newTestServer(t, Config{})
	tests := []struct {
		name, target, token string
		form                url.Values
		want                int
	}{
		{"unknown action", "/measure", at, url.Values{"action": {"nope"}}, 2554},
		{"no token", "/v2/user", "", url.Values{"action": {"getdevice"}}, 401},
		{"bad token", "/v2/user", "0000", url.Values{"action": {"getdevice"}}, 401},
		{"bad dates", "/measure", at, url.Values{"action": {"getmeas"}, "startdate": {"x"}, "enddate": {"1"}}, 503},
		{"unknown signal", "/v2/heart", at, url.Values{"action": {"get"}, "signalid": {"7"}}, 503},
		{"bad grant", "/v2/oauth2", "", url.Values{"action": {"requesttoken"}, "grant_type": {"password"}}, 503},
	}
	for _, tt := range tests {
		status, _, raw := call(t, s, http.MethodPost, tt.target, tt.token, tt.form)
		if status != tt.want || !bytes.Contains(raw, []byte(`"error"`)) {
			t.Errorf("%s: status %d, want %d with an error text: %s", tt.name, status, tt.want, raw)
		}
	}
}

func TestQuotaWindowSlides(t *testing.T) {
	t.Parallel()
	s, c, at := newTestServer(t, Config{QuotaPerMinute: 3})
	get := func() int {
		status, _, _ := call(t, s, http.MethodPost, "/v2/user", at, url.Values{"action": {"getdevice"}})
		return status
	}
	var got []int
	got = append(got, get(), get())
	c.Advance(30 * time.Second)
	got = append(got, get(), get())
	c.Advance(30 * time.Second) // the first two leave the window
	got = append(got, get(), get(), get())
	if diff := cmp.Diff([]int{0, 0, 0, 601, 0, 0, 601}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if s.QuotaRejections() != 2 || s.Count(EndpointGetDevice) != 7 {
		t.Errorf("rejections %d, count %d", s.QuotaRejections(), s.Count(EndpointGetDevice))
	}
}

func TestFaultsApplyInOrder(t *testing.T) {
	t.Parallel()
	s, _, at := newTestServer(t, Config{})
	s.InjectFault(EndpointGetDevice, Fault{Status: 2554, Times: 2})
	s.InjectFault(EndpointGetDevice, Fault{Truncate: true, Times: 1})
	var got []int
	for range 4 {
		status, _, _ := call(t, s, http.MethodPost, "/v2/user", at, url.Values{"action": {"getdevice"}})
		got = append(got, status)
	}
	if diff := cmp.Diff([]int{2554, 2554, -1, 0}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	s.InjectFault(EndpointGetDevice, Fault{Malformed: true})
	s.ClearFaults()
	if status, _, _ := call(t, s, http.MethodPost, "/v2/user", at, url.Values{"action": {"getdevice"}}); status != 0 {
		t.Errorf("after ClearFaults: status %d", status)
	}
}

func TestDataIsDeterministicInTheSeed(t *testing.T) {
	t.Parallel()
	form := url.Values{"action": {"getmeas"}, "startdate": {"1713000000"}, "enddate": {"1714000000"}}
	body := func(seed uint64) string {
		s, _, at := newTestServer(t, Config{Seed: seed})
		_, b, _ := call(t, s, http.MethodPost, "/measure", at, form)
		return string(b)
	}
	first, second := body(3), body(3)
	if first != second {
		t.Error("same seed, different bodies")
	}
	if body(3) == body(4) {
		t.Error("different seeds, same body")
	}
}

func TestECGSignalShape(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ hz, seconds, hr int }{{300, 30, 60}, {500, 20, 90}} {
		sig := ecgSignal(1, tt.hz, tt.seconds, tt.hr)
		if len(sig) != tt.hz*tt.seconds {
			t.Fatalf("%d samples, want %d", len(sig), tt.hz*tt.seconds)
		}
		peaks := 0
		for i := 1; i < len(sig)-1; i++ {
			if sig[i] > 600 && sig[i] >= sig[i-1] && sig[i] > sig[i+1] {
				peaks++
			}
		}
		want := tt.seconds * tt.hr / 60
		if peaks < want-3 || peaks > want+3 {
			t.Errorf("%d Hz at %d bpm: %d R peaks in %d s, want about %d", tt.hz, tt.hr, peaks, tt.seconds, want)
		}
	}
}

func TestListenAndServe(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s, _, at := newTestServer(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx, addr) }()
	var resp *http.Response
	for range 50 {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v2/user", strings.NewReader("action=getdevice"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+at)
		if resp, err = (&http.Client{Timeout: time.Second}).Do(req); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ListenAndServe after cancel: %v", err)
	}
}
