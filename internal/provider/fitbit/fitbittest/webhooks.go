package fitbittest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// This file is the sending side of the Google Health API webhooks (§6):
// the subscriber endpoint verification handshake (§6.2) and notification
// delivery (§6.3), pointed at an endpoint URL by the test. Subscriber CRUD,
// automatic retries with backoff and the ECDSA payload signature are not
// emulated: Notify makes one attempt per POST and reports the status, and
// a test re-sends to emulate a retry or a duplicate delivery.

// VerifierUserAgent is the User-Agent of the handshake requests.
const VerifierUserAgent = "Google-Health-API-Webhooks-Verifier"

// maxBatch is how many notifications Google is reported to put in one POST.
const maxBatch = 99

// ErrFailedPrecondition is the error of a failed endpoint verification, as
// the subscribers create/patch call fails with FAILED_PRECONDITION (§6.2).
var ErrFailedPrecondition = errors.New("fitbittest: FAILED_PRECONDITION: endpoint verification failed")

// NotificationSpec is one notification to send: the user (the healthUserId
// the identity endpoint returns for them, i.e. User.ID), a kebab-case data
// type, whether it is a DELETE, and the changed interval (none when Start is
// zero; End defaults to Start).
type NotificationSpec struct {
	UserID, DataType string
	Delete           bool
	Start, End       time.Time
}

// WebhookOptions shape what Notify sends. The zero value is what Google is
// observed to send: JSON-array batches of at most 99, with Authorization
// and all three interval representations, version "1".
type WebhookOptions struct {
	// SingleObject sends each notification as its own POST of one
	// {"data":{…}} object (the documented form) instead of array batches.
	SingleObject bool
	// NoAuthorization leaves the Authorization header out of notifications
	// (one developer reported that, §6.3).
	NoAuthorization bool
	// Version is data.version; default "1" (also seen: "v4").
	Version string
	// CivilOnly leaves physicalTimeInterval out; CivilISOString sends
	// civilIso8601TimeInterval as an "a/b" string instead of an object.
	CivilOnly, CivilISOString bool
	// HTTPClient sends the requests; default a client with a 10 s timeout.
	HTTPClient *http.Client
}

// Delivery records one webhook POST the emulator sent.
type Delivery struct {
	URL string
	// Verification is true for a handshake request; Authorized tells
	// whether it carried Authorization.
	Verification, Authorized bool
	// Notifications is how many notifications the body held.
	Notifications int
	Body          []byte
	StatusCode    int // 0 when the request failed
	Err           error
}

// hookState is a Server's webhook state: how it sends, and what it sent.
type hookState struct {
	mu         sync.Mutex
	opts       WebhookOptions
	deliveries []Delivery
	seq        uint64
}

// hooks returns the server's webhook state.
func (s *Server) hooks() *hookState { return &s.webhooks }

// SetWebhookOptions sets how later Notify calls send.
func (s *Server) SetWebhookOptions(o WebhookOptions) {
	h := s.hooks()
	h.mu.Lock()
	h.opts = o
	h.mu.Unlock()
}

// Deliveries returns every webhook request sent so far, oldest first.
func (s *Server) Deliveries() []Delivery {
	h := s.hooks()
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Delivery(nil), h.deliveries...)
}

// VerifyEndpoint performs the verification handshake Google runs when a
// subscriber is created or its endpoint or secret changes (§6.2): a POST
// of {"type":"verification"} with Authorization: secret, which must be
// answered 201 (200 is accepted too), then the same POST without
// Authorization, which must be answered 401 or 403. Any other outcome is
// ErrFailedPrecondition, wrapped with what went wrong.
func (s *Server) VerifyEndpoint(ctx context.Context, endpointURL, secret string) error {
	body := []byte(`{"type": "verification"}`)
	d := s.post(ctx, endpointURL, secret, body, true, 0)
	if d.Err != nil || (d.StatusCode != http.StatusCreated && d.StatusCode != http.StatusOK) {
		return fmt.Errorf("%w: authorized request answered %s, want 201", ErrFailedPrecondition, outcomeOf(d))
	}
	d = s.post(ctx, endpointURL, "", body, true, 0)
	if d.Err != nil || (d.StatusCode != http.StatusUnauthorized && d.StatusCode != http.StatusForbidden) {
		return fmt.Errorf("%w: unauthorized request answered %s, want 401 or 403", ErrFailedPrecondition, outcomeOf(d))
	}
	return nil
}

func outcomeOf(d Delivery) string {
	if d.Err != nil {
		return "error " + d.Err.Error()
	}
	return fmt.Sprintf("HTTP %d", d.StatusCode)
}

// Notify delivers notes to endpointURL as Google would for an AUTOMATIC
// subscriber: JSON arrays of at most 99 {"data":{…}} objects (or single
// objects, see WebhookOptions), each with a random-looking
// clientProvidedSubscriptionName, Authorization: secret, and the interval
// in physical and civil forms (civil in the user's zone when the user is
// known to the emulator, else UTC). Each POST must be answered 204; Notify
// sends every POST and returns the failures joined. Deliveries records them.
func (s *Server) Notify(ctx context.Context, endpointURL, secret string, notes ...NotificationSpec) error {
	h := s.hooks()
	h.mu.Lock()
	opts := h.opts
	h.mu.Unlock()
	if opts.NoAuthorization {
		secret = ""
	}
	objs := make([]any, 0, len(notes))
	for _, n := range notes {
		objs = append(objs, s.notificationJSON(n, opts))
	}
	var bodies [][]any
	if opts.SingleObject {
		for _, o := range objs {
			bodies = append(bodies, []any{o})
		}
	} else {
		for len(objs) > 0 {
			k := min(len(objs), maxBatch)
			bodies = append(bodies, objs[:k])
			objs = objs[k:]
		}
	}
	var errs []error
	for _, b := range bodies {
		var v any = b
		if opts.SingleObject {
			v = b[0]
		}
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		d := s.post(ctx, endpointURL, secret, data, false, len(b))
		switch {
		case d.Err != nil:
			errs = append(errs, fmt.Errorf("fitbittest: notification delivery failed: %w", d.Err))
		case d.StatusCode != http.StatusNoContent:
			errs = append(errs, fmt.Errorf("fitbittest: notification answered HTTP %d, want 204", d.StatusCode))
		}
	}
	return errors.Join(errs...)
}

// notificationJSON is one {"data":{…}} element for n.
func (s *Server) notificationJSON(n NotificationSpec, o WebhookOptions) map[string]any {
	version := o.Version
	if version == "" {
		version = "1"
	}
	op := "UPSERT"
	if n.Delete {
		op = "DELETE"
	}
	data := map[string]any{"version": version, "clientProvidedSubscriptionName": s.nextUUID(),
		"healthUserId": n.UserID, "operation": op, "dataType": n.DataType}
	if !n.Start.IsZero() {
		end := n.End
		if end.IsZero() {
			end = n.Start
		}
		loc := time.UTC
		s.mu.Lock()
		if u := s.users[n.UserID]; u != nil {
			loc = u.Location
		}
		s.mu.Unlock()
		ls, le := n.Start.In(loc), end.In(loc)
		iv := map[string]any{"civilDateTimeInterval": map[string]any{"startDateTime": civilJSON(ls), "endDateTime": civilJSON(le)}}
		const civilLayout = "2006-01-02T15:04:05"
		if o.CivilISOString {
			iv["civilIso8601TimeInterval"] = ls.Format(civilLayout) + "/" + le.Format(civilLayout)
		} else {
			iv["civilIso8601TimeInterval"] = map[string]string{"startTime": ls.Format(civilLayout), "endTime": le.Format(civilLayout)}
		}
		if !o.CivilOnly {
			iv["physicalTimeInterval"] = map[string]string{"startTime": rfc3339(n.Start), "endTime": rfc3339(end)}
		}
		data["intervals"] = []any{iv}
	}
	return map[string]any{"data": data}
}

// nextUUID is a version-4-shaped UUID derived from the seed and a counter,
// the per-notification name of AUTOMATIC subscriptions (§6.3).
func (s *Server) nextUUID() string {
	h := s.hooks()
	h.mu.Lock()
	h.seq++
	n := h.seq
	h.mu.Unlock()
	var in [16]byte
	binary.BigEndian.PutUint64(in[:8], s.cfg.Seed)
	binary.BigEndian.PutUint64(in[8:], n)
	sum := sha256.Sum256(in[:])
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b)
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// post sends one webhook request and records it.
func (s *Server) post(ctx context.Context, url, secret string, body []byte, verification bool, count int) Delivery {
	h := s.hooks()
	h.mu.Lock()
	client := h.opts.HTTPClient
	h.mu.Unlock()
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	d := Delivery{URL: url, Verification: verification, Authorized: secret != "", Notifications: count, Body: body}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("Authorization", secret)
		}
		if verification {
			req.Header.Set("User-Agent", VerifierUserAgent) // the notifications' User-Agent is undocumented
		}
		var resp *http.Response
		if resp, err = client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			d.StatusCode = resp.StatusCode
		}
	}
	d.Err = err
	h.mu.Lock()
	h.deliveries = append(h.deliveries, d)
	h.mu.Unlock()
	return d
}
