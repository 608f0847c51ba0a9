package withings

import (
	"bytes"
	"encoding/json"
	"strings"
)

// MeasurePage is the body of one Measure getmeas response. When More is
// true, the client repeats the call with offset = Offset until it is false.
type MeasurePage struct {
	// UserID is present in some responses, as a number or a string.
	UserID FlexString `json:"userid"`
	// UpdateTime is the server time of the response (documented as a string,
	// sent as an int).
	UpdateTime FlexInt `json:"updatetime"`
	// Timezone is the user's IANA time zone, e.g. "Europe/Amsterdam".
	Timezone FlexString `json:"timezone"`
	// Groups are the measure groups, newest first.
	Groups []MeasureGroup `json:"measuregrps"`
	// More is true when another page follows (sent as 0/1 or as a bool).
	More FlexBool `json:"more"`
	// Offset is the offset to send for the next page.
	Offset FlexInt `json:"offset"`
}

// MeasureGroup is one getmeas measure group: the measures a device took (or
// a person entered) at one time.
type MeasureGroup struct {
	// GrpID identifies the group at Withings; values exceed 2^32.
	GrpID FlexInt `json:"grpid"`
	// Attrib says how the group was captured (see attribOrigin).
	Attrib FlexInt `json:"attrib"`
	// Date is when the measures were taken, in unix seconds.
	Date FlexInt `json:"date"`
	// Created and Modified are when Withings stored and last changed the
	// group, in unix seconds.
	Created  FlexInt `json:"created"`
	Modified FlexInt `json:"modified"`
	// Category is 1 for real measures and 2 for user objectives.
	Category FlexInt `json:"category"`
	// DeviceID is null for manual and external entries.
	DeviceID     FlexString `json:"deviceid"`
	HashDeviceID FlexString `json:"hash_deviceid"`
	// ModelID is sent as "modelid" on the wire, "model_id" in the docs.
	ModelID    FlexInt `json:"modelid"`
	ModelIDAlt FlexInt `json:"model_id"`
	// Model is the model name, e.g. "Body+"; null for manual entries.
	Model FlexString `json:"model"`
	// Timezone is not documented per group, but is read when present.
	Timezone FlexString `json:"timezone"`
	// Measures are the group's values.
	Measures []Measure `json:"measures"`
}

// Measure is one value of a group: Value × 10^Unit in the unit of Type.
// Withings also sends algo, fm, algo_params, apppfmid and appliver, which
// carry no meaning ohx needs and are ignored.
type Measure struct {
	Value FlexInt `json:"value"`
	Type  FlexInt `json:"type"`
	Unit  FlexInt `json:"unit"`
	// Position is the body position of segmental measures (same table as
	// the heart wearposition); Set is false when absent.
	Position FlexInt `json:"position"`
}

// DecodeMeasurePage decodes a getmeas response: the full envelope, the inner
// body object, or, as in some captured fixtures, the bare measuregrps array.
func DecodeMeasurePage(data []byte) (MeasurePage, error) {
	var page MeasurePage
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		if err := json.Unmarshal(data, &page.Groups); err != nil {
			return MeasurePage{}, jsonError(SourceGetmeas, err)
		}
		return page, nil
	}
	if err := decodeBody(SourceGetmeas, data, &page); err != nil {
		return MeasurePage{}, err
	}
	return page, nil
}

// modelID returns the group's model id from whichever spelling was sent.
func (g *MeasureGroup) modelID() FlexInt {
	if g.ModelID.Set {
		return g.ModelID
	}
	return g.ModelIDAlt
}

// deviceID returns the device id, falling back to the hashed id, which
// Withings sends with the same value where both appear.
func deviceID(id, hash FlexString) string {
	if s := strings.TrimSpace(string(id)); s != "" {
		return s
	}
	return strings.TrimSpace(string(hash))
}
