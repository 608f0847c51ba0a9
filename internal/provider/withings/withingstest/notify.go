package withingstest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Subscription is one stored notify subscription.
type Subscription struct {
	UserID      string
	Appli       int
	CallbackURL string
	Comment     string
}

// subscriptionExpires is the "expires" Withings reports for subscriptions
// that do not expire.
const subscriptionExpires = 2147483647

// Delivery records one notification POST the emulator sent.
type Delivery struct {
	CallbackURL string
	Form        url.Values // userid, appli, startdate, enddate, …
	StatusCode  int        // 0 when the request failed
	Err         error
}

// notifySubscribe is Notify Subscribe. Like Withings it probes the callback
// with HEAD first and refuses it (status 293) unless the probe answers 2xx.
func (s *Server) notifySubscribe(req apiRequest) reply {
	cb := req.form.Get("callbackurl")
	appli, present, bad := formInt(req.form, "appli")
	if !present || bad || appli <= 0 {
		return invalidParams("appli")
	}
	if err := s.probe(req.ctx, cb); err != nil {
		return fail(293, "The callback URL is either unknown or invalid")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, sub := range s.subs {
		if sub.UserID == req.userID && sub.Appli == int(appli) && sub.CallbackURL == cb {
			s.subs[i].Comment = req.form.Get("comment")
			return ok(struct{}{})
		}
	}
	s.subs = append(s.subs, Subscription{UserID: req.userID, Appli: int(appli), CallbackURL: cb, Comment: req.form.Get("comment")})
	return ok(struct{}{})
}

// probe sends the HEAD request Withings sends before accepting a callback.
func (s *Server) probe(ctx context.Context, callback string) error {
	u, err := url.Parse(callback)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("callback is not an absolute http(s) URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, callback, nil)
	if err != nil {
		return err
	}
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("probe answered HTTP %d", resp.StatusCode)
	}
	return nil
}

// notifyList is Notify List, optionally for one appli.
func (s *Server) notifyList(req apiRequest) reply {
	appli, _, bad := formInt(req.form, "appli")
	if bad {
		return invalidParams("appli")
	}
	profiles := []map[string]any{}
	for _, sub := range s.Subscriptions(req.userID) {
		if appli == 0 || int64(sub.Appli) == appli {
			profiles = append(profiles, map[string]any{"appli": sub.Appli, "callbackurl": sub.CallbackURL,
				"expires": subscriptionExpires, "comment": nullable(sub.Comment)})
		}
	}
	return ok(map[string]any{"profiles": profiles})
}

// notifyGet is Notify Get; appli defaults to 1. An unknown subscription is
// answered with status 343 (an "invalid params" code; the exact code
// Withings uses here is not documented).
func (s *Server) notifyGet(req apiRequest) reply {
	appli, present, bad := formInt(req.form, "appli")
	if bad {
		return invalidParams("appli")
	}
	if !present {
		appli = 1
	}
	for _, sub := range s.Subscriptions(req.userID) {
		if int64(sub.Appli) == appli && sub.CallbackURL == req.form.Get("callbackurl") {
			return ok(map[string]any{"appli": sub.Appli, "callbackurl": sub.CallbackURL, "comment": nullable(sub.Comment)})
		}
	}
	return fail(343, "Invalid Params: no such subscription")
}

// notifyRevoke is Notify Revoke, of one appli or of every appli of the
// callback. Revoking nothing succeeds, so that a retried revoke does too.
func (s *Server) notifyRevoke(req apiRequest) reply {
	appli, _, bad := formInt(req.form, "appli")
	if bad || req.form.Get("callbackurl") == "" {
		return invalidParams("revoke parameters")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.subs[:0]
	for _, sub := range s.subs {
		match := sub.UserID == req.userID && sub.CallbackURL == req.form.Get("callbackurl") &&
			(appli == 0 || int64(sub.Appli) == appli)
		if !match {
			kept = append(kept, sub)
		}
	}
	s.subs = kept
	return ok(struct{}{})
}

// Subscriptions returns the user's subscriptions.
func (s *Server) Subscriptions(userID string) []Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Subscription
	for _, sub := range s.subs {
		if sub.UserID == userID {
			out = append(out, sub)
		}
	}
	return out
}

// Deliveries returns every notification sent so far, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// SendNotification POSTs a form-encoded notification with userid, appli and
// extra to every callback the user subscribed to appli, as Withings does:
// unsigned, one attempt each, within the client's 2 s deadline. It returns
// the delivery failures joined; each delivery is also kept for Deliveries.
func (s *Server) SendNotification(ctx context.Context, userID string, appli int, extra url.Values) error {
	form := url.Values{"userid": {userID}, "appli": {strconv.Itoa(appli)}}
	for k, vs := range extra {
		form[k] = vs
	}
	var errs []error
	for _, sub := range s.Subscriptions(userID) {
		if sub.Appli != appli {
			continue
		}
		d := s.deliver(ctx, sub.CallbackURL, form)
		s.mu.Lock()
		s.deliveries = append(s.deliveries, d)
		s.mu.Unlock()
		if d.Err != nil {
			errs = append(errs, d.Err)
		}
	}
	return errors.Join(errs...)
}

func (s *Server) deliver(ctx context.Context, callback string, form url.Values) Delivery {
	d := Delivery{CallbackURL: callback, Form: form}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, callback, strings.NewReader(form.Encode()))
	if err != nil {
		d.Err = err
		return d
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		d.Err = fmt.Errorf("withingstest: notification for appli %s failed: %w", form.Get("appli"), err)
		return d
	}
	resp.Body.Close()
	d.StatusCode = resp.StatusCode
	if resp.StatusCode >= 400 {
		d.Err = fmt.Errorf("withingstest: notification for appli %s answered HTTP %d", form.Get("appli"), resp.StatusCode)
	}
	return d
}

// getDevice is User v2 Getdevice: the user's household of devices.
func (s *Server) getDevice(req apiRequest) reply {
	u := s.user(req.userID)
	now := s.cfg.Now()
	batteries := []string{"high", "medium", "low", "high", "unknown", "high"}
	devices := []map[string]any{}
	for i, m := range household {
		last := earliest(now, s.cfg.HistoryEnd).Add(-time.Duration(i+1) * time.Hour)
		var first any = s.cfg.HistoryStart.Unix()
		if i%3 == 2 {
			first = nil
		}
		devices = append(devices, map[string]any{
			"type": m.typ, "battery": batteries[(u.hash+uint64(i))%uint64(len(batteries))], "model": m.model,
			"model_id": m.modelID, "timezone": u.Location.String(), "first_session_date": first,
			"last_session_date": last.Unix(), "deviceid": u.devices[m.key], "hash_deviceid": u.devices[m.key],
		})
	}
	return ok(map[string]any{"devices": devices})
}
