package jobs

import (
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/ohx-health/ohx/internal/health"
)

func TestOutcome(t *testing.T) {
	t.Parallel()
	plain := errors.New("boom")
	cases := []struct {
		name       string
		err        error
		wantCancel bool
		wantSnooze time.Duration
	}{
		{"nil", nil, false, 0},
		{"unclassified retries", plain, false, 0},
		{"transient retries", health.Wrap(health.KindTransient, plain, "provider 503"), false, 0},
		{"rate limited snoozes as told", &health.Error{Kind: health.KindRateLimited, Message: "quota", RetryAfterSeconds: 42}, false, 42 * time.Second},
		{"rate limited without a hint snoozes a minute", health.Errorf(health.KindRateLimited, "quota"), false, time.Minute},
		{"revoked auth cancels", health.Errorf(health.KindAuthRevoked, "invalid refresh token"), true, 0},
		{"bad provider data cancels", health.Errorf(health.KindBadProvider, "body is not JSON"), true, 0},
		{"rejected by FHIR cancels", health.Errorf(health.KindRejected, "Observation/x rejected"), true, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := outcome(tc.err, 0)
			var cancel *river.JobCancelError
			var snooze *river.JobSnoozeError
			isCancel := errors.As(got, &cancel)
			isSnooze := errors.As(got, &snooze)
			if isCancel != tc.wantCancel {
				t.Errorf("cancel = %v, want %v (%v)", isCancel, tc.wantCancel, got)
			}
			if tc.wantSnooze > 0 && (!isSnooze || snooze.Duration != tc.wantSnooze) {
				t.Errorf("snooze = %v, want %v", got, tc.wantSnooze)
			}
			if tc.wantSnooze == 0 && isSnooze {
				t.Errorf("unexpected snooze %v", got)
			}
			if capped := outcome(tc.err, time.Second); tc.wantSnooze > 0 && !errors.As(capped, &snooze) || tc.wantSnooze > 0 && snooze.Duration != time.Second {
				t.Errorf("snooze not capped: %v", capped)
			}
			if tc.err == nil && got != nil {
				t.Errorf("outcome(nil) = %v", got)
			}
			if tc.err != nil && !tc.wantCancel && tc.wantSnooze == 0 && !errors.Is(got, tc.err) {
				t.Errorf("retryable error not passed through: %v", got)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	b := &backoff{base: time.Second, max: time.Minute}
	cases := []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{5, 8 * time.Second, 16 * time.Second},
		{7, 30 * time.Second, time.Minute},
		{60, 30 * time.Second, time.Minute},
	}
	for _, c := range cases {
		lo, hi := b.delay(c.attempt, 0), b.delay(c.attempt, 0.999999)
		if lo != c.min || hi > c.max || hi < lo {
			t.Errorf("attempt %d: delay in [%v, %v], want [%v, %v]", c.attempt, lo, hi, c.min, c.max)
		}
	}
}
