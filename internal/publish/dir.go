package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ohx-health/ohx/internal/fhir"
	"github.com/ohx-health/ohx/internal/health"
)

// DirSink writes each resource to <dir>/<ResourceType>/<id>.json: the
// embedded default when no FHIR server is configured. Writes are atomic (a
// reader sees the old file or the new one, never a part) and idempotent
// (the same resource gives the same bytes at the same path).
type DirSink struct {
	dir     string
	metrics *metrics
	logger  *slog.Logger
}

// NewDirSink returns a sink writing under dir, registering its metrics on
// reg. The directory is created on first write; Verify creates it early.
func NewDirSink(dir string, reg prometheus.Registerer, logger *slog.Logger) (*DirSink, error) {
	if dir == "" {
		return nil, errors.New("publish: OHX_FHIR_OUTPUT_DIR is empty")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(reg, func() float64 { return 0 })
	if err != nil {
		return nil, fmt.Errorf("publish: register metrics: %w", err)
	}
	return &DirSink{dir: dir, metrics: m, logger: logger}, nil
}

// validName accepts a FHIR resource type name.
func validName(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	return strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") == ""
}

// validID accepts a FHIR id: [A-Za-z0-9\-\.]{1,64}. It also keeps a path
// built from it inside the output directory.
func validID(s string) bool {
	if s == "" || len(s) > 64 || s == "." || s == ".." {
		return false
	}
	return strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.") == ""
}

// State returns "closed": a directory has no breaker.
func (d *DirSink) State() string { return "closed" }

// Check returns nil; Verify is the directory's real check.
func (d *DirSink) Check(context.Context) error { return nil }

// Verify creates the directory and proves it writable.
func (d *DirSink) Verify(context.Context) error {
	if err := os.MkdirAll(d.dir, 0o750); err != nil {
		return health.Wrap(health.KindUnavailable, err, "create FHIR output directory")
	}
	f, err := os.CreateTemp(d.dir, ".verify-*")
	if err != nil {
		return health.Wrap(health.KindUnavailable, err, "FHIR output directory is not writable")
	}
	f.Close()
	return os.Remove(f.Name())
}

// Publish writes every entry's resource. An entry without a usable type or
// id is rejected; a write failure (disk full, permissions) is
// KindUnavailable and stops the Bundle, which is safe to publish again.
func (d *DirSink) Publish(ctx context.Context, b *fhir.Bundle) (Result, error) {
	if b == nil {
		return Result{}, nil
	}
	start := time.Now()
	res := Result{Entries: make([]EntryResult, 0, len(b.Entry))}
	var err error
	for _, e := range b.Entry {
		if err = ctx.Err(); err != nil {
			err = health.Wrap(health.KindTransient, err, "write FHIR resources: abandoned by the caller")
			break
		}
		var er EntryResult
		if er, err = d.write(e); err != nil {
			break
		}
		res.Entries = append(res.Entries, er)
	}
	d.metrics.request(err, time.Since(start))
	d.metrics.count(res)
	if err != nil {
		return res, err
	}
	return res, resultError("write FHIR resources", res)
}

// write stores one entry: 201 for a new file, 200 for a replaced or
// unchanged one, 400 for an entry that names no valid file.
func (d *DirSink) write(e fhir.BundleEntry) (EntryResult, error) {
	typ, id := entryName(e)
	er := EntryResult{ResourceType: typ, ID: id, Status: 400, Outcome: OutcomeRejected}
	if !validName(typ) || !validID(id) {
		er.Issues = []Issue{{Severity: "error", Code: "invalid", Diagnostics: "resource type or id cannot name a file"}}
		return er, nil
	}
	data, err := resourceJSON(e.Resource, id)
	if err != nil {
		return er, health.Wrap(health.KindInternal, err, "encode "+typ)
	}
	path := filepath.Join(d.dir, typ, id+".json")
	old, err := os.ReadFile(path)
	switch {
	case err == nil && bytes.Equal(old, data):
		er.Status, er.Outcome = 200, OutcomeUpdated
		return er, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return er, health.Wrap(health.KindUnavailable, err, "read "+typ+" file")
	}
	if werr := writeAtomic(path, data); werr != nil {
		return er, health.Wrap(health.KindUnavailable, werr, "write "+typ+" file")
	}
	er.Status, er.Outcome = 201, OutcomeCreated
	if err == nil {
		er.Status, er.Outcome = 200, OutcomeUpdated
	}
	return er, nil
}

// resourceJSON encodes r indented, with id restored when conditional
// create left it out, so every file names its resource.
func resourceJSON(r fhir.Resource, id string) ([]byte, error) {
	raw, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	o, err := parseObject(raw)
	if err != nil {
		return nil, err
	}
	if o.get("id") == nil {
		idJSON, _ := json.Marshal(id)
		o = append(object{o[0], {"id", idJSON}}, o[1:]...)
	}
	return indent(o)
}

func indent(o object) ([]byte, error) {
	raw, _ := o.MarshalJSON()
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// writeAtomic writes data to a temporary file in path's directory, syncs
// it, and renames it over path, then syncs the directory so the rename
// survives a crash.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails harmlessly once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// MarkEnteredInError reads every file of m.Type and rewrites those whose
// identifier (and subject) match with status entered-in-error. It costs one
// read of each file of that type: fine for the embedded default, which
// holds one installation's output, and the reason a FHIR server is the
// choice for volume.
func (d *DirSink) MarkEnteredInError(ctx context.Context, m Match) (int, error) {
	if err := checkMatch(m); err != nil {
		return 0, err
	}
	files, err := filepath.Glob(filepath.Join(d.dir, m.Type, "*.json"))
	if err != nil {
		return 0, health.Wrap(health.KindInternal, err, "list "+m.Type+" files")
	}
	changed := 0
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return changed, health.Wrap(health.KindTransient, err, "mark entered-in-error: abandoned by the caller")
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return changed, health.Wrap(health.KindUnavailable, err, "read "+m.Type+" file")
		}
		o, err := parseObject(raw)
		if err != nil || !o.matches(m) || !o.markEnteredInError(m.Type) {
			continue
		}
		data, err := indent(o)
		if err == nil {
			err = writeAtomic(path, data)
		}
		if err != nil {
			return changed, health.Wrap(health.KindUnavailable, err, "write "+m.Type+" file")
		}
		changed++
	}
	return changed, nil
}
