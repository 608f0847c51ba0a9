package fhir

import (
	"strings"
	"testing"
	"time"
)

// The vectors are the original service's (reference/original-inventory.md
// §6.5); matching them byte for byte is what lets a migrating site keep
// deduplicating against data the original wrote.
func TestLegacyIdentifierVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s       string
		jenkins string
		uuid    string
	}{
		{"test-user:2024-01-15 10:00:00+00:00:8867-4", "2134664051", "e77f1f1a-3452-5e67-94de-a09cbd5cbd43"},
		{"test-user:2024-01-15 10:00:00+00:00:41950-7", "1190287069", "cf014d03-1592-5ae7-b2bd-7b977f53841c"},
		{"test-user:2024-01-15 10:00:00+00:00:85354-9:8462-4", "1286628331", "341d5b4c-4923-5f41-9858-5c6bff69c707"},
		{"test-user:2024-01-15 10:00:00+00:00:8601-7", "1865815447", "d07e3cc7-51dd-5e23-a75d-7171d40c0b18"},
		{"test-user:2024-01-15 10:00:00.123456+00:00:8867-4", "2030296528", "f2ddb606-fbb0-5ac0-8d8d-349c75244d14"},
		{"patient-123:2023-12-07 10:30:00+00:00:8867-4", "1141236320", "98045775-db6c-5a9d-8949-63f650cfbe8e"},
		{"", "1183256422", ""},
		{"a", "1435751513", ""},
		{"hello", "492120385", ""},
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			t.Parallel()
			if got := LegacyIdentifierValue(StrategyJenkins, tt.s); got != tt.jenkins {
				t.Errorf("jenkins(%q) = %s, want %s", tt.s, got, tt.jenkins)
			}
			if tt.uuid == "" {
				return
			}
			if got := LegacyIdentifierValue(StrategyUUID, tt.s); got != tt.uuid {
				t.Errorf("uuid5(%q) = %s, want %s", tt.s, got, tt.uuid)
			}
		})
	}
}

func TestLegacyIdentifierInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		t    time.Time
		code string
		want string
	}{
		{time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC), "8867-4", "test-user:2024-01-15 10:00:00+00:00:8867-4"},
		{time.Date(2024, 1, 15, 10, 0, 0, 123456789, time.UTC), "8867-4", "test-user:2024-01-15 10:00:00.123456+00:00:8867-4"},
		{time.Date(2024, 1, 15, 10, 0, 0, 1000, time.UTC), "8867-4", "test-user:2024-01-15 10:00:00.000001+00:00:8867-4"},
		// An offset time is converted to UTC first, as the original did.
		{time.Date(2024, 1, 15, 11, 0, 0, 0, time.FixedZone("", 3600)), "41950-7", "test-user:2024-01-15 10:00:00+00:00:41950-7"},
	}
	for _, tt := range tests {
		if got := LegacyIdentifierInput("test-user", tt.t, tt.code); got != tt.want {
			t.Errorf("LegacyIdentifierInput(%v) = %q, want %q", tt.t, got, tt.want)
		}
	}
}

func TestLegacyResourceIDVectors(t *testing.T) {
	t.Parallel()
	ts := time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC)
	tests := []struct{ name, got, want string }{
		{"observation", LegacyObservationID("test-user", ts, "8867-4", ""), "44110668-c764-57c7-a683-1fba4d19d41c"},
		{"ecg heart rate", LegacyObservationID("test-user", ts, "8867-4", ":from-ecg"), "a06801e4-e802-58f4-bfca-44e461e11076"},
		{"device", DeviceID("withings", "test-123"), "6ecef061-b47c-5bf6-ac7f-5bc2590ab1f2"},
		{"device 12345", DeviceID("withings", "12345"), "8f21b1ca-d258-5c32-b007-c6273278af71"},
		{"association", DeviceAssociationID("withings", "test-123", "test-patient-123"), "5644c629-d7bc-5ba5-ad81-4d38d3c9898f"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s id = %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

func TestPyMillisZ(t *testing.T) {
	t.Parallel()
	in := time.Date(2024, 1, 15, 10, 30, 45, 123456000, time.UTC)
	if got, want := pyMillisZ(in), "2024-01-15T10:30:45.123Z"; got != want {
		t.Errorf("pyMillisZ = %s, want %s", got, want)
	}
}

func TestModernIDDependsOnPatientAndIdentity(t *testing.T) {
	t.Parallel()
	base := ModernID("Observation", "p1", "s", "withings:heart_rate:1:11")
	for _, other := range []string{
		ModernID("Observation", "p2", "s", "withings:heart_rate:1:11"),
		ModernID("Observation", "p1", "s", "withings:heart_rate:2:11"),
		ModernID("Device", "p1", "s", "withings:heart_rate:1:11"),
	} {
		if other == base {
			t.Errorf("ModernID collision: %s", base)
		}
	}
	if again := ModernID("Observation", "p1", "s", "withings:heart_rate:1:11"); again != base {
		t.Errorf("ModernID not deterministic: %s vs %s", again, base)
	}
}

func TestOHXNamespaceDerivation(t *testing.T) {
	t.Parallel()
	if got, want := uuid5Bytes(dnsNamespace(), "ohx-health.github.io"), ohxNamespace(); got != want {
		t.Errorf("ohx namespace = %x, want uuid5(DNS, ohx-health.github.io) = %x", want, got)
	}
}

// The mapping computes ids, URLs and identifiers in one pass over stack
// buffers; they must equal the documented formulas exactly.
func TestFastNamesMatchFormulas(t *testing.T) {
	t.Parallel()
	base := time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC)
	for i, at := range []time.Time{
		base, base.Add(7 * time.Microsecond), base.Add(123456789 * time.Nanosecond),
		base.Add(999999 * time.Microsecond).In(time.FixedZone("", -5*3600)), time.Date(1999, 12, 31, 23, 59, 59, 1000, time.UTC),
	} {
		for _, patient := range []string{"p", "test-user", strings.Repeat("long-patient-id-", 20)} {
			for _, strategy := range []string{StrategyJenkins, StrategyUUID} {
				id, urls, value := legacyNames(strategy, patient, at, "8867-4", "85354-9:8462-4", ":from-ecg")
				if want := LegacyObservationID(patient, at, "8867-4", ":from-ecg"); id != want {
					t.Errorf("%d %s: legacy id %s, want %s", i, strategy, id, want)
				}
				if want := LegacyIdentifierValue(strategy, LegacyIdentifierInput(patient, at, "85354-9:8462-4:from-ecg")); value != want {
					t.Errorf("%d %s: legacy identifier %s, want %s", i, strategy, value, want)
				}
				if want := newEntryURLs("Observation", id); urls != want {
					t.Errorf("%d: legacy urls %+v, want %+v", i, urls, want)
				}
			}
			value := "withings:heart_rate:" + at.String()
			v, id, urls := observationNames(patient, []byte(value))
			if v != value {
				t.Errorf("%d: modern identifier %q, want %q", i, v, value)
			}
			if want := ModernID("Observation", patient, SystemOHXObservationID, value); id != want {
				t.Errorf("%d: modern id %s, want %s", i, id, want)
			}
			if want := newEntryURLs("Observation", id); urls != want {
				t.Errorf("%d: modern urls %+v, want %+v", i, urls, want)
			}
		}
	}
}
