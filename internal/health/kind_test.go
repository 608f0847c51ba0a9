package health

import (
	"testing"
	"time"
)

func TestKindInfosUniqueAndDescribed(t *testing.T) {
	t.Parallel()
	seen := map[Kind]bool{}
	for _, ki := range KindInfos() {
		if seen[ki.Kind] {
			t.Errorf("kind %s listed twice", ki.Kind)
		}
		seen[ki.Kind] = true
		if ki.Description == "" {
			t.Errorf("kind %s has no description", ki.Kind)
		}
		payloadOnly := ki.Kind == KindECG || ki.Kind == KindAFibPPG
		if (ki.Unit == "") != payloadOnly {
			t.Errorf("kind %s unit %q", ki.Kind, ki.Unit)
		}
		if got, ok := ki.Kind.Info(); !ok || got != ki {
			t.Errorf("Info(%s) = %+v, %v", ki.Kind, got, ok)
		}
	}
	if _, ok := Kind("bogus").Info(); ok {
		t.Error("Info accepts an unknown kind")
	}
}

func TestSeries(t *testing.T) {
	t.Parallel()
	start := time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC)
	s := Series{Start: start, Interval: time.Minute, Values: []float64{1, Gap(), 3}}
	if got := s.At(2); !got.Equal(start.Add(2 * time.Minute)) {
		t.Errorf("At(2) = %v", got)
	}
	if !IsGap(s.Values[1]) || IsGap(s.Values[0]) {
		t.Error("gap marking wrong")
	}
}

func TestMeasurementIsPeriod(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		m    Measurement
		want bool
	}{
		{"instant", Measurement{Start: at}, false},
		{"interval", Measurement{Start: at, End: at.Add(time.Minute)}, true},
		{"whole day", Measurement{Day: "2024-01-15"}, true},
		{"day with instant", Measurement{Day: "2024-01-15", Start: at}, false},
	}
	for _, tt := range tests {
		if got := tt.m.IsPeriod(); got != tt.want {
			t.Errorf("%s: IsPeriod = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNewSleepMarksEverythingUnknown(t *testing.T) {
	t.Parallel()
	s := NewSleep()
	for name, d := range map[string]time.Duration{"in bed": s.InBed, "asleep": s.Asleep, "awake": s.Awake,
		"light": s.Light, "deep": s.Deep, "rem": s.REM, "latency": s.Latency} {
		if d != Unknown {
			t.Errorf("%s = %v, want Unknown", name, d)
		}
	}
	if s.Awakenings != -1 || s.Efficiency != -1 || s.Score != -1 {
		t.Errorf("counts not unknown: %+v", s)
	}
}
