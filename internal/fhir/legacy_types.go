package fhir

import (
	"math"
	"strconv"
	"strings"
)

// The legacy structs reproduce the original service's JSON: its key order
// (Python dicts keep insertion order) and its float formatting.

// PyFloat is a float64 that encodes the way Python's json module prints a
// float: 75.0 rather than 75, and an exponent outside 1e-4 ≤ |v| < 1e16.
type PyFloat float64

// MarshalJSON encodes f like Python's repr(float).
func (f PyFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	abs := math.Abs(v)
	if v != 0 && (abs < 1e-4 || abs >= 1e16) {
		return []byte(strconv.FormatFloat(v, 'e', -1, 64)), nil
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return []byte(s), nil
}

// LegacyQuantity is the original's valueQuantity.
type LegacyQuantity struct {
	Value  PyFloat `json:"value"`
	Unit   string  `json:"unit"`
	System string  `json:"system"`
	Code   string  `json:"code"`
}

// Extension is an R5 Extension with the value types the legacy mode needs.
type Extension struct {
	URL         string `json:"url"`
	ValueString string `json:"valueString,omitempty"`
}

// LegacySampledData is the original's ECG waveform SampledData (R5 elements).
type LegacySampledData struct {
	Origin       LegacyQuantity `json:"origin"`
	Interval     PyFloat        `json:"interval"`
	IntervalUnit string         `json:"intervalUnit"`
	Factor       PyFloat        `json:"factor"`
	LowerLimit   int            `json:"lowerLimit"`
	UpperLimit   int            `json:"upperLimit"`
	Dimensions   int            `json:"dimensions"`
	Data         Samples        `json:"data"`
}

// LegacyComponent is the original's Observation.component.
type LegacyComponent struct {
	Code             CodeableConcept    `json:"code"`
	ValueSampledData *LegacySampledData `json:"valueSampledData,omitempty"`
	ValueQuantity    *LegacyQuantity    `json:"valueQuantity,omitempty"`
	ValueString      string             `json:"valueString,omitempty"`
}

// LegacyObservation is an Observation in the original's shape and key order.
type LegacyObservation struct {
	ResourceType      string            `json:"resourceType"`
	ID                string            `json:"id"`
	Status            string            `json:"status"`
	Category          []CodeableConcept `json:"category"`
	Code              CodeableConcept   `json:"code"`
	Subject           Reference         `json:"subject"`
	EffectiveDateTime string            `json:"effectiveDateTime"`
	Meta              *Meta             `json:"meta,omitempty"`
	Issued            string            `json:"issued,omitempty"`
	Extension         []Extension       `json:"extension,omitempty"`
	Device            *Reference        `json:"device,omitempty"`
	Identifier        []Identifier      `json:"identifier"`
	ValueQuantity     *LegacyQuantity   `json:"valueQuantity,omitempty"`
	Interpretation    []CodeableConcept `json:"interpretation,omitempty"`
	Component         []LegacyComponent `json:"component,omitempty"`
	DerivedFrom       []Reference       `json:"derivedFrom,omitempty"`
	Note              []Annotation      `json:"note,omitempty"`

	ident [1]Identifier // storage, see Observation
	urls  entryURLs
}

// FHIRType returns "Observation".
func (o *LegacyObservation) FHIRType() string { return "Observation" }

// LogicalID returns the id.
func (o *LegacyObservation) LogicalID() string { return o.ID }

// Key returns the identifier as "system|value".
func (o *LegacyObservation) Key() string { return identifierKey(o.Identifier) }

// Refs returns the ECG this heart rate was derived from, and the Device when
// referenced literally.
func (o *LegacyObservation) Refs() []string {
	var refs []string
	if o.Device != nil && o.Device.Reference != "" {
		refs = append(refs, o.Device.Reference)
	}
	for _, r := range o.DerivedFrom {
		refs = append(refs, r.Reference)
	}
	return refs
}
