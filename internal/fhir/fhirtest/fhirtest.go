// Package fhirtest helps tests check what ohx writes: it validates JSON
// against the official FHIR R5 JSON schema and posts Bundles to a FHIR test
// server. It is imported by tests only; nothing in the ohx binary uses it.
package fhirtest

import (
	"archive/zip"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// schemaZip is fhir.schema.json from hl7.fhir.r5.core 5.0.0 (CC0), as shipped
// zipped in github.com/robertoaraneda/gofhir v1.6.1 specs/r5; committed so
// tests need no network.
//
//go:embed testdata/fhir.schema.json.zip
var schemaZip []byte

const schemaID = "http://hl7.org/fhir/json-schema/5.0"

// Validator validates R5 resources, one compiled definition per resourceType.
// Compiling the schema takes about a second, so a test binary shares one
// Validator (see Schema).
type Validator struct {
	compiler *jsonschema.Compiler
	mu       sync.Mutex
	byType   map[string]*jsonschema.Schema
}

// shared is the test binary's one Validator; sync.Once because compiling
// the 4 MB schema per test would dominate the test time.
var shared struct {
	once sync.Once
	v    *Validator
	err  error
}

// Schema returns the shared Validator, failing t if the schema cannot load.
func Schema(t testing.TB) *Validator {
	t.Helper()
	shared.once.Do(func() { shared.v, shared.err = newValidator() })
	if shared.err != nil {
		t.Fatalf("load FHIR R5 schema: %v", shared.err)
	}
	return shared.v
}

func newValidator() (*Validator, error) {
	zr, err := zip.NewReader(bytes.NewReader(schemaZip), int64(len(schemaZip)))
	if err != nil {
		return nil, err
	}
	if len(zr.File) == 0 {
		return nil, fmt.Errorf("empty schema zip")
	}
	f, err := zr.File[0].Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaID, doc); err != nil {
		return nil, err
	}
	return &Validator{compiler: c, byType: map[string]*jsonschema.Schema{}}, nil
}

func (v *Validator) schema(resourceType string) (*jsonschema.Schema, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if s, ok := v.byType[resourceType]; ok {
		return s, nil
	}
	s, err := v.compiler.Compile(schemaID + "#/definitions/" + resourceType)
	if err != nil {
		return nil, fmt.Errorf("no R5 schema for resourceType %q: %w", resourceType, err)
	}
	v.byType[resourceType] = s
	return s, nil
}

// Validate checks one resource's JSON against the definition of its
// resourceType. A Bundle's entries are checked one by one first, each against
// its own type, so an error names the entry rather than drowning in the
// schema's oneOf of every resource type.
func (v *Validator) Validate(data []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return v.validate(inst, "")
}

func (v *Validator) validate(inst any, where string) error {
	obj, ok := inst.(map[string]any)
	if !ok {
		return fmt.Errorf("%snot a JSON object", where)
	}
	rt, _ := obj["resourceType"].(string)
	if rt == "" {
		return fmt.Errorf("%sno resourceType", where)
	}
	if rt == "Bundle" {
		entries, _ := obj["entry"].([]any)
		for i, e := range entries {
			em, _ := e.(map[string]any)
			if err := v.validate(em["resource"], fmt.Sprintf("%sentry[%d] ", where, i)); err != nil {
				return err
			}
		}
	}
	s, err := v.schema(rt)
	if err != nil {
		return err
	}
	if err := s.Validate(inst); err != nil {
		return fmt.Errorf("%s%s: %s", where, rt, describe(err))
	}
	return nil
}

// describe flattens a validation error to its leaf causes, one per line.
func describe(err error) string {
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return err.Error()
	}
	p := message.NewPrinter(language.English)
	var lines []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			lines = append(lines, "/"+strings.Join(e.InstanceLocation, "/")+": "+e.ErrorKind.LocalizedString(p))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	if len(lines) > 10 {
		lines = append(lines[:10], fmt.Sprintf("… and %d more", len(lines)-10))
	}
	return strings.Join(lines, "\n")
}

// ValidateValue marshals v and validates it.
func (v *Validator) ValidateValue(val any) error {
	data, err := json.Marshal(val)
	if err != nil {
		return err
	}
	return v.Validate(data)
}
