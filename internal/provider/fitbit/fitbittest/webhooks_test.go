package fitbittest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/provider/fitbit"
	"github.com/ohx-health/ohx/internal/provider/fitbit/fitbittest"
)

const (
	hookUser   = "1173016576421350648"
	hookSecret = "Bearer R4nd0m-webhook-secret"
)

var hookNow = time.Date(2026, 9, 27, 12, 0, 0, 0, time.UTC)

// receiver is a minimal subscriber endpoint that records what it gets.
type receiver struct {
	mu       sync.Mutex
	bodies   [][]byte
	agents   []string
	verified int
	// verifyCode and unauthCode override the handshake answers when set.
	verifyCode, unauthCode int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.agents = append(rc.agents, r.Header.Get("User-Agent"))
	if r.Header.Get("Content-Type") != "application/json" {
		w.WriteHeader(http.StatusUnsupportedMediaType)
		return
	}
	verification, _, err := fitbit.ParseNotifications(body)
	if r.Header.Get("Authorization") != hookSecret {
		if rc.unauthCode != 0 {
			w.WriteHeader(rc.unauthCode)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch {
	case err != nil:
		w.WriteHeader(http.StatusBadRequest)
	case verification:
		rc.verified++
		if rc.verifyCode != 0 {
			w.WriteHeader(rc.verifyCode)
			return
		}
		w.WriteHeader(http.StatusCreated)
	default:
		rc.bodies = append(rc.bodies, body)
		w.WriteHeader(http.StatusNoContent)
	}
}

func newEmulator(t *testing.T) *fitbittest.Server {
	t.Helper()
	s := fitbittest.New(fitbittest.Config{Seed: 7, Now: func() time.Time { return hookNow }})
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		tokyo = time.FixedZone("JST", 9*3600)
	}
	s.AddUser(fitbittest.User{ID: hookUser, Location: tokyo})
	return s
}

func TestVerifyEndpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newEmulator(t)
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	if err := s.VerifyEndpoint(ctx, srv.URL, hookSecret); err != nil {
		t.Fatal(err)
	}
	ds := s.Deliveries()
	if len(ds) != 2 || !ds[0].Verification || !ds[0].Authorized || ds[0].StatusCode != 201 || ds[1].Authorized || ds[1].StatusCode != 401 {
		t.Fatalf("deliveries = %+v", ds)
	}
	if rc.agents[0] != fitbittest.VerifierUserAgent || rc.agents[1] != fitbittest.VerifierUserAgent {
		t.Errorf("user agents %q", rc.agents)
	}
	// 200 is accepted for the first request, 403 for the second.
	rc.verifyCode, rc.unauthCode = http.StatusOK, http.StatusForbidden
	if err := s.VerifyEndpoint(ctx, srv.URL, hookSecret); err != nil {
		t.Errorf("200/403: %v", err)
	}
	// A wrong secret, an endpoint that accepts anyone, one that answers
	// 204, and one that is down all fail with FAILED_PRECONDITION.
	rc.verifyCode, rc.unauthCode = 0, 0
	if err := s.VerifyEndpoint(ctx, srv.URL, "Bearer wrong"); !errors.Is(err, fitbittest.ErrFailedPrecondition) {
		t.Errorf("wrong secret: %v", err)
	}
	rc.unauthCode = http.StatusCreated
	if err := s.VerifyEndpoint(ctx, srv.URL, hookSecret); !errors.Is(err, fitbittest.ErrFailedPrecondition) || !strings.Contains(err.Error(), "unauthorized request answered HTTP 201") {
		t.Errorf("open endpoint: %v", err)
	}
	rc.verifyCode, rc.unauthCode = http.StatusNoContent, 0
	if err := s.VerifyEndpoint(ctx, srv.URL, hookSecret); !errors.Is(err, fitbittest.ErrFailedPrecondition) {
		t.Errorf("204 to verification: %v", err)
	}
	down := httptest.NewServer(rc)
	down.Close()
	if err := s.VerifyEndpoint(ctx, down.URL, hookSecret); !errors.Is(err, fitbittest.ErrFailedPrecondition) {
		t.Errorf("endpoint down: %v", err)
	}
}

func TestNotifyBatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newEmulator(t)
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	start := time.Date(2026, 3, 8, 1, 29, 0, 0, time.UTC)
	var specs []fitbittest.NotificationSpec
	for i := range 150 {
		specs = append(specs, fitbittest.NotificationSpec{UserID: hookUser, DataType: "steps", Delete: i%10 == 0,
			Start: start.Add(time.Duration(i) * time.Minute), End: start.Add(time.Duration(i+5) * time.Minute)})
	}
	if err := s.Notify(ctx, srv.URL, hookSecret, specs...); err != nil {
		t.Fatal(err)
	}
	ds := s.Deliveries()
	if len(ds) != 2 || ds[0].Notifications != 99 || ds[1].Notifications != 51 || ds[0].StatusCode != 204 || ds[0].Verification {
		t.Fatalf("deliveries: %d, %+v", len(ds), ds[0])
	}
	// Arrays of {"data":{…}}, with distinct UUID-shaped subscription names
	// and all three interval forms, civil ones in the user's zone.
	var batch []struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(rc.bodies[0], &batch); err != nil || len(batch) != 99 {
		t.Fatalf("batch: %v %d", err, len(batch))
	}
	first := batch[0].Data
	name, _ := first["clientProvidedSubscriptionName"].(string)
	if len(name) != 36 || name == batch[1].Data["clientProvidedSubscriptionName"] || first["version"] != "1" ||
		first["healthUserId"] != hookUser || first["operation"] != "DELETE" || batch[1].Data["operation"] != "UPSERT" {
		t.Errorf("first notification = %v", first)
	}
	iv := first["intervals"].([]any)[0].(map[string]any)
	if iv["physicalTimeInterval"].(map[string]any)["startTime"] != "2026-03-08T01:29:00Z" ||
		iv["civilIso8601TimeInterval"].(map[string]any)["startTime"] != "2026-03-08T10:29:00" ||
		iv["civilDateTimeInterval"] == nil {
		t.Errorf("interval = %v", iv)
	}
	// ohx's parser reads every notification back.
	total := 0
	for _, b := range rc.bodies {
		_, notes, err := fitbit.ParseNotifications(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range notes {
			if n.HealthUserID != hookUser || n.DataType != "steps" || n.Start.IsZero() {
				t.Errorf("parsed %+v", n)
			}
		}
		total += len(notes)
	}
	if total != 150 {
		t.Errorf("parsed %d notifications", total)
	}
	// The same notifications again are a duplicate delivery.
	if err := s.Notify(ctx, srv.URL, hookSecret, specs[:1]...); err != nil || len(s.Deliveries()) != 3 {
		t.Errorf("redelivery: %v", err)
	}
}

func TestNotifyOptions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newEmulator(t)
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	s.SetWebhookOptions(fitbittest.WebhookOptions{SingleObject: true, CivilOnly: true, CivilISOString: true, Version: "v4"})
	start := time.Date(2026, 3, 8, 1, 29, 0, 0, time.UTC)
	specs := []fitbittest.NotificationSpec{
		{UserID: hookUser, DataType: "sleep", Start: start},
		{UserID: "unknown-user", DataType: "weight"}, // no interval
	}
	if err := s.Notify(ctx, srv.URL, hookSecret, specs...); err != nil {
		t.Fatal(err)
	}
	if len(rc.bodies) != 2 || rc.bodies[0][0] != '{' {
		t.Fatalf("bodies: %q", rc.bodies)
	}
	if !strings.Contains(string(rc.bodies[0]), `"civilIso8601TimeInterval":"2026-03-08T10:29:00/2026-03-08T10:29:00"`) ||
		strings.Contains(string(rc.bodies[0]), "physicalTimeInterval") || !strings.Contains(string(rc.bodies[0]), `"version":"v4"`) {
		t.Errorf("single object: %s", rc.bodies[0])
	}
	_, notes, err := fitbit.ParseNotifications(rc.bodies[0])
	// Civil times are read as UTC and widened, so the true instant is inside.
	if err != nil || len(notes) != 1 || notes[0].Start.After(start) || notes[0].End.Before(start) {
		t.Errorf("parsed %+v %v", notes, err)
	}
	if strings.Contains(string(rc.bodies[1]), "intervals") {
		t.Errorf("notification without interval: %s", rc.bodies[1])
	}
	// Without Authorization the receiver refuses, and Notify reports it.
	s.SetWebhookOptions(fitbittest.WebhookOptions{NoAuthorization: true})
	err = s.Notify(ctx, srv.URL, hookSecret, specs[0])
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("unauthorized notify: %v", err)
	}
	if ds := s.Deliveries(); ds[len(ds)-1].Authorized || ds[len(ds)-1].StatusCode != 401 {
		t.Errorf("last delivery %+v", ds[len(ds)-1])
	}
}

// The healthUserId in notifications is the one the identity endpoint
// returns for the user.
func TestNotifyUserMatchesIdentity(t *testing.T) {
	t.Parallel()
	s := newEmulator(t)
	api := httptest.NewServer(s)
	t.Cleanup(api.Close)
	at, _ := s.IssueToken(hookUser)
	req, _ := http.NewRequest(http.MethodGet, api.URL+"/v4/users/me/identity", nil)
	req.Header.Set("Authorization", "Bearer "+at)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var id struct {
		HealthUserID string `json:"healthUserId"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&id)
	resp.Body.Close()
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	if err := s.Notify(context.Background(), srv.URL, hookSecret, fitbittest.NotificationSpec{UserID: id.HealthUserID, DataType: "heart-rate"}); err != nil {
		t.Fatal(err)
	}
	_, notes, err := fitbit.ParseNotifications(rc.bodies[0])
	if err != nil || len(notes) != 1 || notes[0].HealthUserID != hookUser || id.HealthUserID != hookUser {
		t.Errorf("identity %q, notified %+v %v", id.HealthUserID, notes, err)
	}
}
