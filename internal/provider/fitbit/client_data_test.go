package fitbit

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/provider/fitbit/fitbittest"
)

// decodeAll decodes every page of a source and returns the measurements.
func decodeAll(t *testing.T, source string, pages [][]byte) []health.Measurement {
	t.Helper()
	var out []health.Measurement
	for i, p := range pages {
		b, err := Decode(source, p)
		if err != nil {
			t.Fatalf("page %d of %s does not decode: %v", i, source, err)
		}
		out = append(out, b.Measurements...)
	}
	return out
}

func TestListPaginates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.token()
	start := time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC)
	filter := WindowFilter("heart-rate", start, start.Add(24*time.Hour))
	var pages [][]byte
	token := ""
	for {
		body, next, err := e.client.ListDataPoints(context.Background(), tok, "heart-rate", filter, token, 50)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, body)
		if next == "" {
			break
		}
		token = next
	}
	if len(pages) != 3 {
		t.Errorf("%d pages of 50, want 3 for 144 points", len(pages))
	}
	ms := decodeAll(t, "heart-rate", pages)
	if len(ms) != 144 {
		t.Errorf("%d measurements, want 144 (one per 10 min)", len(ms))
	}
	all, err := e.client.ListAll(context.Background(), tok, "heart-rate", filter)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(decodeAll(t, "heart-rate", all)); n != 144 {
		t.Errorf("ListAll: %d measurements, want 144", n)
	}
}

func TestWindowFilterSelectsExactly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.token()
	ctx := context.Background()
	utc := func(d, h int) time.Time { return time.Date(2026, 9, d, h, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		dataType   string
		start, end time.Time
		want       int
		check      func(m health.Measurement, start, end time.Time) bool
	}{
		{"heart-rate", utc(20, 0), utc(20, 6), 36, func(m health.Measurement, s, e time.Time) bool {
			return !m.Start.Before(s) && m.Start.Before(e)
		}},
		{"steps", utc(20, 0), utc(20, 3), 12, func(m health.Measurement, s, e time.Time) bool { // 09:00–12:00 JST
			return !m.Start.Before(s) && m.Start.Before(e)
		}},
		{"sleep", utc(20, 0), utc(22, 0), 2, func(m health.Measurement, s, e time.Time) bool { // by wake-up time
			return !m.End.Before(s) && m.End.Before(e)
		}},
		{"daily-resting-heart-rate", time.Date(2026, 9, 20, 0, 0, 0, 0, tokyo), time.Date(2026, 9, 23, 0, 0, 0, 0, tokyo), 3,
			func(m health.Measurement, _, _ time.Time) bool { return m.Day >= "2026-09-20" && m.Day < "2026-09-23" }},
		{"daily-heart-rate-variability", time.Date(2026, 9, 20, 0, 0, 0, 0, tokyo), time.Date(2026, 9, 22, 0, 0, 0, 0, tokyo), 2,
			func(m health.Measurement, _, _ time.Time) bool { return m.Day >= "2026-09-20" && m.Day < "2026-09-22" }},
		{"oxygen-saturation", utc(19, 17), utc(20, 17), 4, func(m health.Measurement, s, e time.Time) bool {
			return !m.Start.Before(s) && m.Start.Before(e)
		}},
	} {
		pages, err := e.client.ListAll(ctx, tok, tc.dataType, WindowFilter(tc.dataType, tc.start, tc.end))
		if err != nil {
			t.Fatalf("%s: %v", tc.dataType, err)
		}
		ms := decodeAll(t, tc.dataType, pages)
		if len(ms) != tc.want {
			t.Errorf("%s: %d measurements, want %d", tc.dataType, len(ms), tc.want)
		}
		for _, m := range ms {
			if !tc.check(m, tc.start, tc.end) {
				t.Errorf("%s: measurement %s outside the window", tc.dataType, m.RecordID)
			}
		}
	}
}

func TestOtherSourcesDecode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.token()
	ctx := context.Background()
	start := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	for _, typ := range []string{"weight", "body-fat", "electrocardiogram", "daily-oxygen-saturation", "distance"} {
		pages, err := e.client.ListAll(ctx, tok, typ, WindowFilter(typ, start, testNow))
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		ms := decodeAll(t, typ, pages)
		if (len(ms) == 0) != (typ == "distance") {
			t.Errorf("%s: %d measurements", typ, len(ms))
		}
	}
	devs, err := e.client.PairedDevices(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Decode(SourcePairedDevices, devs)
	if err != nil || len(b.Devices) != 2 {
		t.Errorf("paired devices: %d, %v", len(b.Devices), err)
	}
	body, _, err := e.client.DailyRollUp(ctx, tok, SourceTotalCalories, time.Date(2026, 9, 19, 0, 0, 0, 0, time.UTC), time.Date(2026, 9, 26, 0, 0, 0, 0, time.UTC), "")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(decodeAll(t, SourceTotalCalories, [][]byte{body})); n != 7 {
		t.Errorf("total-calories: %d days, want 7", n)
	}
	_, _, err = e.client.DailyRollUp(ctx, tok, SourceTotalCalories, time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 9, 26, 0, 0, 0, 0, time.UTC), "")
	wantKind(t, err, health.KindInvalid)
	if n := e.emu.Count(fitbittest.DailyRollUpEndpoint(SourceTotalCalories)); n != 1 {
		t.Errorf("dailyRollUp requests = %d, want 1 (an over-long range is refused locally)", n)
	}
}

func TestDeletedPointDisappears(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.token()
	ctx := context.Background()
	filter := WindowFilter("weight", time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), testNow)
	pages, err := e.client.ListAll(ctx, tok, "weight", filter)
	if err != nil {
		t.Fatal(err)
	}
	before := decodeAll(t, "weight", pages)
	if len(before) < 2 {
		t.Fatalf("%d weights, want some", len(before))
	}
	gone := before[1].RecordID
	if err := e.emu.DeletePoint(testUser, "weight", gone); err != nil {
		t.Fatal(err)
	}
	pages, err = e.client.ListAll(ctx, tok, "weight", filter)
	if err != nil {
		t.Fatal(err)
	}
	after := decodeAll(t, "weight", pages)
	if len(after) != len(before)-1 || slices.ContainsFunc(after, func(m health.Measurement) bool { return m.RecordID == gone }) {
		t.Errorf("after delete: %d of %d weights left, deleted one listed: %v", len(after), len(before),
			slices.ContainsFunc(after, func(m health.Measurement) bool { return m.RecordID == gone }))
	}
	// A non-identifiable point, deleted by its emulator name.
	hrFilter := WindowFilter("heart-rate", time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 9, 20, 1, 0, 0, 0, time.UTC))
	names := e.emu.PointNames(testUser, "heart-rate", time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 9, 20, 1, 0, 0, 0, time.UTC))
	if len(names) != 6 {
		t.Fatalf("%d heart-rate names, want 6", len(names))
	}
	if err := e.emu.DeletePoint(testUser, "heart-rate", names[0]); err != nil {
		t.Fatal(err)
	}
	pages, err = e.client.ListAll(ctx, tok, "heart-rate", hrFilter)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(decodeAll(t, "heart-rate", pages)); n != 5 {
		t.Errorf("%d heart rates after a delete, want 5", n)
	}
}

func TestUnauthorizedRefreshesOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.link(t)
	src := e.client.NewRefreshingSource(tok, nil)
	e.emu.InjectFault(fitbittest.ListEndpoint("heart-rate"), fitbittest.Fault{HTTPStatus: 401, Times: 1})
	filter := WindowFilter("heart-rate", testNow.Add(-time.Hour*30), testNow.Add(-time.Hour*29))
	if _, _, err := e.client.ListDataPoints(context.Background(), src, "heart-rate", filter, "", 0); err != nil {
		t.Fatal(err)
	}
	if n := e.emu.Count(fitbittest.ListEndpoint("heart-rate")); n != 2 {
		t.Errorf("requests = %d, want 2", n)
	}
	if src.Token().AccessToken == tok.AccessToken || src.Token().RefreshToken != tok.RefreshToken {
		t.Error("the access token was not refreshed, or the refresh token was lost")
	}
	// A static token cannot refresh: unauthorized, with the cause.
	e.emu.InjectFault(fitbittest.ListEndpoint("heart-rate"), fitbittest.Fault{HTTPStatus: 401, Times: 1})
	_, _, err := e.client.ListDataPoints(context.Background(), StaticToken(tok.AccessToken), "heart-rate", filter, "", 0)
	wantKind(t, err, health.KindUnauthorized)
	if !errors.Is(err, ErrTokenRejected) {
		t.Errorf("err = %v, want ErrTokenRejected", err)
	}
	noSecrets(t, err, tok.AccessToken, tok.RefreshToken)
}

func TestScopeMissingIsForbidden(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	at, _ := e.emu.IssueTokenWithScopes(testUser, ScopePrefix+".sleep.readonly")
	_, _, err := e.client.ListDataPoints(context.Background(), StaticToken(at), "heart-rate",
		WindowFilter("heart-rate", testNow.Add(-48*time.Hour), testNow), "", 0)
	wantKind(t, err, health.KindForbidden)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != "PERMISSION_DENIED" || ae.Reason != "ACCESS_TOKEN_SCOPE_INSUFFICIENT" {
		t.Errorf("err = %v", err)
	}
	if n := e.emu.Count(fitbittest.ListEndpoint("heart-rate")); n != 1 {
		t.Errorf("requests = %d, want 1 (no retry)", n)
	}
	noSecrets(t, err, at)
}

func TestRateLimited(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.token()
	e.emu.InjectFault(fitbittest.EndpointIdentity, fitbittest.Fault{HTTPStatus: 429, RetryAfter: "17", Times: 1})
	_, _, err := e.client.Identity(context.Background(), tok)
	wantKind(t, err, health.KindRateLimited)
	var he *health.Error
	if errors.As(err, &he); he.RetryAfterSeconds != 17 {
		t.Errorf("RetryAfterSeconds = %d, want 17", he.RetryAfterSeconds)
	}
	if n := e.emu.Count(fitbittest.EndpointIdentity); n != 1 {
		t.Errorf("requests = %d, want 1 (no retry)", n)
	}
	// Without a header: the default.
	e.emu.InjectFault(fitbittest.EndpointIdentity, fitbittest.Fault{HTTPStatus: 429, Times: 1})
	_, _, err = e.client.Identity(context.Background(), tok)
	if errors.As(err, &he); he.RetryAfterSeconds != DefaultRetryAfter {
		t.Errorf("RetryAfterSeconds = %d, want the default", he.RetryAfterSeconds)
	}
}

func TestQuotaRetryAfterDate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(ec *fitbittest.Config, _ *Config) { ec.QuotaPerMinute, ec.RetryAfterDate = 2, true })
	tok := e.token()
	for range 2 {
		if _, _, err := e.client.Identity(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := e.client.Identity(context.Background(), tok)
	wantKind(t, err, health.KindRateLimited)
	var he *health.Error
	if errors.As(err, &he); he.RetryAfterSeconds < 59 || he.RetryAfterSeconds > 61 {
		t.Errorf("RetryAfterSeconds = %d, want about 60", he.RetryAfterSeconds)
	}
	e.clock.Advance(time.Minute)
	if _, _, err := e.client.Identity(context.Background(), tok); err != nil {
		t.Errorf("after the window: %v", err)
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.token()
	e.emu.InjectFault(fitbittest.EndpointIdentity, fitbittest.Fault{HTTPStatus: 503, Times: 1})
	e.emu.InjectFault(fitbittest.EndpointIdentity, fitbittest.Fault{HTTPStatus: 502, HTML: true, Times: 1})
	e.emu.InjectFault(fitbittest.EndpointIdentity, fitbittest.Fault{Truncate: true, Times: 1})
	if _, _, err := e.client.Identity(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	if n := e.emu.Count(fitbittest.EndpointIdentity); n != 4 {
		t.Errorf("requests = %d, want 4", n)
	}
}

func TestMalformedBodyGivesUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.token()
	ep := fitbittest.ListEndpoint("steps")
	e.emu.InjectFault(ep, fitbittest.Fault{Malformed: true})
	_, _, err := e.client.ListDataPoints(context.Background(), tok, "steps", WindowFilter("steps", testNow.Add(-48*time.Hour), testNow), "", 0)
	wantKind(t, err, health.KindTransient)
	if n := e.emu.Count(ep); n != 4 {
		t.Errorf("requests = %d, want 4 (MaxAttempts)", n)
	}
	e.emu.ClearFaults()
	e.emu.InjectFault(ep, fitbittest.Fault{Truncate: true})
	_, _, err = e.client.ListDataPoints(context.Background(), tok, "steps", WindowFilter("steps", testNow.Add(-48*time.Hour), testNow), "", 0)
	wantKind(t, err, health.KindTransient)
}

func TestUserStateAndBadRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.token()
	ctx := context.Background()
	e.emu.InjectFault(fitbittest.EndpointIdentity, fitbittest.Fault{HTTPStatus: 400, Reason: "ACCOUNT_NOT_LINKED", Times: 1})
	_, _, err := e.client.Identity(ctx, tok)
	wantKind(t, err, health.KindForbidden)
	if !errors.Is(err, ErrAccountNotLinked) {
		t.Errorf("err = %v, want ErrAccountNotLinked", err)
	}
	// A filter the API refuses: invalid, with the reason, without the
	// filter text.
	bad := `sleep.interval.civil_start_time >= "2026-09-20"`
	_, _, err = e.client.ListDataPoints(ctx, tok, "sleep", bad, "", 0)
	wantKind(t, err, health.KindInvalid)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Reason != "INVALID_DATA_POINT_FILTER" || !slices.Contains(ae.Detailed, "INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER") {
		t.Errorf("err = %v", err)
	}
	if strings.Contains(err.Error(), "civil_start_time") {
		t.Errorf("error echoes the filter: %v", err)
	}
	_, _, err = e.client.ListDataPoints(ctx, tok, "../identity", "", "", 0)
	wantKind(t, err, health.KindInvalid)
	_, _, err = e.client.ListDataPoints(ctx, tok, "no-such-type", "", "", 0)
	wantKind(t, err, health.KindInvalid)
	e.emu.InjectFault(fitbittest.EndpointPairedDevices, fitbittest.Fault{HTTPStatus: 404, HTML: true, Times: 1})
	_, err = e.client.PairedDevices(ctx, tok)
	wantKind(t, err, health.KindNotFound)
}
