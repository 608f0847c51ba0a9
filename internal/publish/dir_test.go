package publish

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ohx-health/ohx/internal/fhir"
	"github.com/ohx-health/ohx/internal/health"
)

func newTestDir(t *testing.T) (*DirSink, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "out")
	sink, err := New(Config{OutputDir: dir}, nil, prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	return sink.(*DirSink), dir
}

func TestDirPublish(t *testing.T) {
	t.Parallel()
	d, dir := newTestDir(t)
	ctx := context.Background()
	b := testBundle("transaction", "a", "b")
	res, err := d.Publish(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	want := []EntryResult{
		{ResourceType: "Observation", ID: "a", Status: 201, Outcome: OutcomeCreated},
		{ResourceType: "Observation", ID: "b", Status: 201, Outcome: OutcomeCreated},
	}
	if diff := cmp.Diff(want, res.Entries); diff != "" {
		t.Errorf("first publish (-want +got):\n%s", diff)
	}
	first, err := os.ReadFile(filepath.Join(dir, "Observation", "a.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(first), "{\n  \"resourceType\": \"Observation\",\n  \"id\": \"a\",") {
		t.Errorf("file is not indented R5 JSON in element order:\n%s", first)
	}
	for range 2 {
		res, err = d.Publish(ctx, b)
		if err != nil || res.Entries[0].Status != 200 {
			t.Fatalf("re-publish: %+v, %v", res.Entries, err)
		}
	}
	again, _ := os.ReadFile(filepath.Join(dir, "Observation", "a.json"))
	if string(again) != string(first) {
		t.Error("re-publishing changed the file")
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	entries, _ := os.ReadDir(filepath.Join(dir, "Observation"))
	if len(names) != 2 || len(entries) != 2 {
		t.Errorf("files %v: want exactly a.json and b.json, no temporaries", names)
	}
}

func TestDirConditionalCreateKeepsID(t *testing.T) {
	t.Parallel()
	d, dir := newTestDir(t)
	b := testBundle("transaction", "c")
	b.Entry[0].Resource.(*fhir.Observation).ID = "" // what conditional create sends
	if _, err := d.Publish(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	var got struct{ ID string }
	raw, err := os.ReadFile(filepath.Join(dir, "Observation", "c.json"))
	if err != nil || json.Unmarshal(raw, &got) != nil || got.ID != "c" {
		t.Errorf("file %s (%v): want id c from the fullUrl", raw, err)
	}
}

func TestDirRejectsUnsafeNames(t *testing.T) {
	t.Parallel()
	d, dir := newTestDir(t)
	res, err := d.Publish(context.Background(), testBundle("batch", "../../etc", "ok"))
	if health.KindOf(err) != health.KindRejected || res.Entries[0].Outcome != OutcomeRejected || res.Entries[1].Outcome != OutcomeCreated {
		t.Fatalf("%+v, %v: want the traversal rejected and the rest written", res.Entries, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "Observation", "ok.json")); err != nil {
		t.Error(err)
	}
}

func TestDirMarkEnteredInError(t *testing.T) {
	t.Parallel()
	d, dir := newTestDir(t)
	ctx := context.Background()
	b := testBundle("transaction", "x1", "x2")
	b.Entry = append(b.Entry, fhir.BundleEntry{FullURL: "urn:uuid:da1", Resource: &fhir.DeviceAssociation{
		ResourceType: "DeviceAssociation", ID: "da1", Identifier: []fhir.Identifier{{System: "urn:ohx:test", Value: "da1"}},
		Device: fhir.Reference{Reference: "Device/d"}, Subject: &fhir.Reference{Reference: "Patient/p"},
		Status: fhir.CodeableConcept{Coding: []fhir.Coding{{System: fhir.SystemDeviceAssociationStatus, Code: "attached"}}},
	}})
	if _, err := d.Publish(ctx, b); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		m    Match
		want int
	}{
		{Match{Type: "Observation", Identifier: "urn:ohx:test|x1", Subject: "Patient/p-other"}, 0},
		{Match{Type: "Observation", Identifier: "urn:ohx:test|x1", Subject: "Patient/p-x1"}, 1},
		{Match{Type: "Observation", Identifier: "urn:ohx:test|x1"}, 0}, // already marked
		{Match{Type: "DeviceAssociation", Identifier: "urn:ohx:test|da1"}, 1},
	}
	for _, tc := range tests {
		n, err := d.MarkEnteredInError(ctx, tc.m)
		if err != nil || n != tc.want {
			t.Errorf("MarkEnteredInError(%+v) = %d, %v; want %d", tc.m, n, err, tc.want)
		}
	}
	status := func(path string) string {
		raw, _ := os.ReadFile(filepath.Join(dir, path))
		var r struct{ Status json.RawMessage }
		_ = json.Unmarshal(raw, &r)
		return string(r.Status)
	}
	if s := status("Observation/x1.json"); s != `"entered-in-error"` {
		t.Errorf("x1 status %s", s)
	}
	if s := status("Observation/x2.json"); s != `"final"` {
		t.Errorf("x2 status %s, want untouched", s)
	}
	if s := status("DeviceAssociation/da1.json"); !strings.Contains(s, `"code": "entered-in-error"`) {
		t.Errorf("da1 status %s", s)
	}
	if _, err := d.MarkEnteredInError(ctx, Match{Type: "../x", Identifier: "a|b"}); health.KindOf(err) != health.KindInvalid {
		t.Errorf("unsafe type: %v, want invalid", err)
	}
}
