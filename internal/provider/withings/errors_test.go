package withings

import (
	"errors"
	"testing"

	"github.com/ohx-health/ohx/internal/health"
)

func TestStatusClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status       int
		want         health.ErrorKind
		tokenRejects bool
	}{
		{401, health.KindUnauthorized, true},
		{100, health.KindUnauthorized, true},
		{200, health.KindUnauthorized, true},
		{601, health.KindRateLimited, false},
		{2554, health.KindTransient, false},
		{2555, health.KindTransient, false},
		{522, health.KindTransient, false},
		{503, health.KindInvalid, false},
		{293, health.KindInvalid, false},
		{3018, health.KindInvalid, false},
		{214, health.KindForbidden, false},
		{2553, health.KindForbidden, false},
		{524, health.KindConflict, false},
		{215, health.KindBadProvider, false},
		{9000, health.KindBadProvider, false},
		{123456, health.KindBadProvider, false},
	}
	for _, tt := range tests {
		err := statusError("measure getmeas", tt.status)
		if got := health.KindOf(err); got != tt.want {
			t.Errorf("status %d: kind %q, want %q", tt.status, got, tt.want)
		}
		if got := errors.Is(err, ErrTokenRejected); got != tt.tokenRejects {
			t.Errorf("status %d: token rejected = %v, want %v", tt.status, got, tt.tokenRejects)
		}
		var code *StatusError
		if !errors.As(err, &code) || code.Status != tt.status {
			t.Errorf("status %d: code not recoverable", tt.status)
		}
	}
}

func TestUserIDText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{`363`: "363", `"363"`: "363", `null`: ""} {
		var u userIDText
		if err := u.UnmarshalJSON([]byte(in)); err != nil || string(u) != want {
			t.Errorf("%s: got %q, %v; want %q", in, u, err, want)
		}
	}
	for _, in := range []string{`-1`, `3.5`, `{}`, `true`} {
		var u userIDText
		if err := u.UnmarshalJSON([]byte(in)); err == nil {
			t.Errorf("%s: accepted", in)
		}
	}
}

func TestMoreFlag(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{`0`: false, `1`: true, `true`: true, `false`: false, `null`: false, `"1"`: true} {
		var m moreFlag
		if err := m.UnmarshalJSON([]byte(in)); err != nil || bool(m) != want {
			t.Errorf("%s: got %v, %v; want %v", in, m, err, want)
		}
	}
}
