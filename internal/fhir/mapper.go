package fhir

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// Mapper maps health batches to FHIR resources and Bundles. It holds the
// options and the lookup tables built from the mapping data once, so mapping
// a batch allocates only what it emits. A Mapper is safe for concurrent use.
type Mapper struct {
	opts     Options
	kinds    map[health.Kind]*mapping
	comps    map[string]*componentCode
	rhythms  map[health.Rhythm]rhythmCode
	devTypes map[health.DeviceType]deviceTypeCode
	legacy   map[health.Kind]legacyMapping
	cats     map[string][]CodeableConcept // one shared, never modified, slice per category
	methods  map[health.Origin]*CodeableConcept
}

// New returns a Mapper for opts. Invalid options are the loader's to report;
// New falls back to the defaults for any empty field.
func New(opts Options) *Mapper {
	opts = withDefaults(opts)
	m := &Mapper{
		opts:     opts,
		kinds:    map[health.Kind]*mapping{},
		comps:    map[string]*componentCode{},
		rhythms:  map[health.Rhythm]rhythmCode{},
		devTypes: map[health.DeviceType]deviceTypeCode{},
		legacy:   map[health.Kind]legacyMapping{},
		cats:     map[string][]CodeableConcept{},
		methods:  methodTable(),
	}
	for _, c := range categoryTable() {
		m.cats[c.Code] = []CodeableConcept{{Coding: []Coding{c}}}
	}
	for _, row := range modernTable() {
		m.kinds[row.Kind] = &row
	}
	for _, c := range componentTable() {
		m.comps[c.Role] = &c
	}
	for _, r := range rhythmTable() {
		m.rhythms[r.Rhythm] = r
	}
	for _, d := range deviceTypeTable() {
		m.devTypes[d.Type] = d
	}
	for _, l := range legacyTable(opts.LOINCSteps) {
		m.legacy[l.Kind] = l.withConcepts()
	}
	return m
}

// withDefaults fills every empty option with its mode's default.
func withDefaults(opts Options) Options {
	def := DefaultOptions(opts.Mode)
	if opts.Mode == "" {
		opts.Mode = def.Mode
	}
	fill := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	fill(&opts.BundleType, def.BundleType)
	fill(&opts.BundleMethod, def.BundleMethod)
	fill(&opts.Intraday, def.Intraday)
	fill(&opts.Version, def.Version)
	fill(&opts.IdentifierStrategy, def.IdentifierStrategy)
	fill(&opts.IdentifierSystem, def.IdentifierSystem)
	fill(&opts.ObservationStatus, def.ObservationStatus)
	fill(&opts.DeviceInfoMode, def.DeviceInfoMode)
	fill(&opts.LOINCSteps, def.LOINCSteps)
	if opts.BundleSize < 2 {
		opts.BundleSize = def.BundleSize
	}
	return opts
}

// Options returns the effective options, defaults filled in.
func (mp *Mapper) Options() Options { return mp.opts }

// Input is one batch to map, for one patient, at one time.
type Input struct {
	// Patient is the EHR's Patient id, with or without the "Patient/" prefix.
	Patient string
	// Batch is what a provider decoder returned.
	Batch health.Batch
	// Now is when ohx publishes: it becomes Provenance.recorded,
	// Bundle.timestamp and the legacy issued. Mapping reads no clock, so the
	// same input and Now give the same output.
	Now time.Time
	// Skip, when set, receives the error of each measurement or device that
	// cannot be mapped, which is then left out; when nil, such a record
	// fails the whole batch before anything is emitted. Errors name the
	// record's position and field, never its value.
	Skip func(error)
}

// job carries the per-call state of one mapping.
type job struct {
	patient  string
	subject  *Reference // "Patient/{id}", shared by every resource
	provider health.Provider
	now      time.Time
	devices  map[string]bool          // provider device ids with a Device in this batch
	devRefs  map[deviceKey]*Reference // one Observation.device per device, shared
	// held collects the resources of a device's group (see walk) instead
	// of passing each group on.
	held bool
	out  []Resource
	add  func([]Resource) error
	err  error // the first error add returned; mapping stops there
	one  [1]Resource
	// legacy mode only
	legacy    map[health.Provider]*legacyShared
	nowMillis string
}

// put hands on one resource that references no other of this mapping.
func (j *job) put(r Resource) {
	j.one[0] = r // add copies what it keeps: no slice per resource
	j.putGroup(j.one[:]...)
	j.one[0] = nil
}

// putGroup hands on one group: resources that reference each other and so
// must share a Bundle.
func (j *job) putGroup(group ...Resource) {
	switch {
	case j.err != nil:
	case j.held:
		j.out = append(j.out, group...)
	default:
		j.err = j.add(group)
	}
}

// Resources maps in to resources: Devices and their DeviceAssociations first,
// then Observations in measurement order, one resource per type and id.
// Provenance is added by Stream.
func (mp *Mapper) Resources(in Input) ([]Resource, error) {
	var out []Resource
	err := mp.walk(in, func(g []Resource) error { out = append(out, g...); return nil })
	if err != nil {
		return nil, err
	}
	return dedupe(out), nil
}

// walk maps in and passes add each group of resources that must share a
// Bundle, in order, holding no more than one group at a time.
//
// Groups are found without looking back: the only references between the
// resources of different records are Observation.device references to a
// Device of the same batch. So a first pass validates every record and
// finds which measurements name a Device of the batch; each such Device is
// then mapped with those measurements as one group, and every other
// measurement is a group of its own (or of several, see put).
func (mp *Mapper) walk(in Input, add func([]Resource) error) error {
	patient := in.Patient[strings.LastIndexByte(in.Patient, '/')+1:]
	if patient == "" || strings.ContainsAny(patient, " |") {
		return health.Errorf(health.KindInvalid, "patient id is empty or malformed")
	}
	b := &in.Batch
	j := &job{patient: patient, subject: &Reference{Reference: "Patient/" + patient}, provider: b.Provider,
		now: in.Now, devices: map[string]bool{}, devRefs: map[deviceKey]*Reference{}, add: add}
	reject := func(err error) error {
		if in.Skip == nil {
			return err
		}
		in.Skip(err)
		return nil
	}
	// Pass 1: validate, and find the groups that span records.
	devOK := make([]bool, len(b.Devices))
	seen := map[string]bool{}
	for i := range b.Devices {
		d := &b.Devices[i]
		if err := checkDevice(j, d, i); err != nil {
			if err := reject(err); err != nil {
				return err
			}
			continue
		}
		if seen[d.ID] {
			continue // the first listing of a device wins
		}
		seen[d.ID] = true
		devOK[i] = true
		j.devices[d.ID] = d.Ended.IsZero()
	}
	measOK := make([]bool, len(b.Measurements))
	var bound map[string][]int // device id → measurements that may refer to it
	for i := range b.Measurements {
		m := &b.Measurements[i]
		if err := mp.check(j, m, i); err != nil {
			if err := reject(err); err != nil {
				return err
			}
			continue
		}
		measOK[i] = true
		if j.devices[m.Device] {
			if bound == nil {
				bound = map[string][]int{}
			}
			bound[m.Device] = append(bound[m.Device], i)
		}
	}
	// Pass 2: map and hand on.
	for i := range b.Devices {
		if !devOK[i] {
			continue
		}
		d := &b.Devices[i]
		ms := bound[d.ID]
		if len(ms) == 0 {
			mp.device(j, d)
		} else {
			j.held, j.out = true, j.out[:0]
			mp.device(j, d)
			for _, k := range ms {
				mp.observation(j, &b.Measurements[k])
				measOK[k] = false // done
			}
			j.held = false
			j.putGroup(j.out...)
			clear(j.out)
		}
		if j.err != nil {
			return j.err
		}
	}
	for i := range b.Measurements {
		if measOK[i] {
			mp.observation(j, &b.Measurements[i])
			if j.err != nil {
				return j.err
			}
		}
	}
	return nil
}

// observation maps one valid measurement.
func (mp *Mapper) observation(j *job, m *health.Measurement) {
	if l, ok := mp.legacy[m.Kind]; ok && mp.opts.Mode == ModeLegacy {
		mp.legacyObservation(j, m, l)
		return
	}
	mp.modernObservation(j, m)
}

// dedupe keeps one resource per type and id, the last one mapped, at the
// place of the first. Two records can share an id in legacy mode (its id has
// neither provider nor record in it) and a Bundle must not write one id twice.
func dedupe(res []Resource) []Resource {
	at := make(map[resourceKey]int, len(res))
	out := res[:0]
	for _, r := range res {
		key := resourceKey{r.FHIRType(), r.LogicalID()}
		if i, ok := at[key]; ok {
			out[i] = r
			continue
		}
		at[key] = len(out)
		out = append(out, r)
	}
	return out
}

type resourceKey struct{ typ, id string }

// check rejects a measurement the mapping cannot give a stable identity or a
// valid shape. Errors name the position and field, never the value.
func (mp *Mapper) check(j *job, m *health.Measurement, i int) error {
	bad := func(what string) error {
		return health.Errorf(health.KindInvalid, "measurement %d (%s): %s", i, m.Kind, what)
	}
	if _, ok := mp.kinds[m.Kind]; !ok {
		return bad("unknown kind")
	}
	if m.Provider == "" {
		m.Provider = j.provider
	}
	switch {
	case m.Provider == "":
		return bad("no provider")
	case m.RecordID == "":
		return bad("no record id")
	case m.Start.IsZero() && m.Day == "" && m.Series == nil:
		return bad("no time")
	case math.IsNaN(m.Value) || math.IsInf(m.Value, 0):
		return bad("value is not a finite number")
	case !m.End.IsZero() && m.End.Before(m.Start):
		return bad("end is before start")
	case m.Day != "" && !validDay(m.Day):
		return bad("day is not YYYY-MM-DD")
	}
	return mp.checkPayload(m, bad)
}

func (mp *Mapper) checkPayload(m *health.Measurement, bad func(string) error) error {
	switch {
	case m.Kind == health.KindBloodPressure && m.BloodPressure == nil:
		return bad("no blood pressure payload")
	case m.Kind == health.KindECG && m.ECG == nil:
		return bad("no ECG payload")
	case m.Kind == health.KindAFibPPG && m.Rhythm == nil:
		return bad("no rhythm payload")
	case m.ECG != nil && len(m.ECG.Samples) > 0 && !(m.ECG.SamplingRate > 0):
		return bad("ECG sampling rate is not positive")
	case m.ECG != nil && len(m.ECG.Samples) > 0 && m.ECG.ScaleUnit != "uV" && m.ECG.ScaleUnit != "mV":
		return bad("ECG scale unit is not uV or mV")
	case m.Series != nil && !(m.Series.Interval > 0):
		return bad("series interval is not positive")
	case m.Series != nil && m.Series.Start.IsZero():
		return bad("series has no start")
	}
	for _, f := range payloadNumbers(m) {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return bad(f.name + " is not a finite number")
		}
	}
	if m.Series != nil {
		for i, v := range m.Series.Values {
			if math.IsInf(v, 0) {
				return bad(fmt.Sprintf("series sample %d is infinite", i))
			}
		}
	}
	return nil
}

type namedNumber struct {
	name string
	v    float64
}

// payloadNumbers lists the payload's numbers that end up in JSON, which
// cannot carry NaN or infinity.
func payloadNumbers(m *health.Measurement) []namedNumber {
	var out []namedNumber
	if bp := m.BloodPressure; bp != nil {
		out = append(out, namedNumber{"systolic", bp.Systolic}, namedNumber{"diastolic", bp.Diastolic}, namedNumber{"pulse", bp.Pulse})
	}
	if s := m.Sleep; s != nil {
		out = append(out, namedNumber{"sleep efficiency", s.Efficiency}, namedNumber{"sleep score", s.Score})
	}
	if e := m.ECG; e != nil {
		out = append(out, namedNumber{"ECG sampling rate", e.SamplingRate}, namedNumber{"ECG scale", e.Scale},
			namedNumber{"ECG heart rate", e.HeartRate}, namedNumber{"ECG QRS", e.QRS}, namedNumber{"ECG PR", e.PR},
			namedNumber{"ECG QT", e.QT}, namedNumber{"ECG QTc", e.QTc})
	}
	return out
}

func validDay(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// ref returns how resources in one publication refer to each other: the
// literal "Type/id" when entries are PUT to their id, the entry's fullUrl
// when they are created (the server rewrites it to the id it keeps).
func (mp *Mapper) ref(resourceType, id string) string {
	if mp.opts.BundleMethod == MethodConditionalCreate {
		return "urn:uuid:" + id
	}
	return resourceType + "/" + id
}

// fhirTime formats an instant as a FHIR dateTime, keeping the user's UTC
// offset when the time carries one.
func fhirTime(t time.Time) string { return t.Format(time.RFC3339Nano) }
