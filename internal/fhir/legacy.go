package fhir

import (
	"strconv"
	"strings"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// legacyMapping is one row of the original service's table (§6.3): its LOINC
// code, its own display name, its category and unit. Kinds the original
// never wrote have no row and are mapped in modern form in legacy mode too.
type legacyMapping struct {
	Kind           health.Kind
	Code, Name     string
	Category       string
	UnitText, UCUM string

	// Built once by New and shared, never modified, by every Observation.
	category []CodeableConcept
	code     CodeableConcept
}

func legacyRow(kind health.Kind, code, name, category, unitText, ucum string) legacyMapping {
	return legacyMapping{Kind: kind, Code: code, Name: name, Category: category, UnitText: unitText, UCUM: ucum}
}

// withConcepts returns l with its category and code built.
func (l legacyMapping) withConcepts() legacyMapping {
	l.category = []CodeableConcept{{Coding: []Coding{{SystemObsCategory, l.Category, legacyTitle(l.Category)}}}}
	l.code = CodeableConcept{Coding: []Coding{loinc(l.Code, l.Name)}, Text: l.Name}
	return l
}

// legacyShared is what every legacy Observation of one provider in one
// mapping shares: built on first use, never modified.
type legacyShared struct {
	system string
	note   []Annotation
	metas  map[health.Origin]*Meta
}

func (mp *Mapper) legacyShared(j *job, p health.Provider) *legacyShared {
	if s, ok := j.legacy[p]; ok {
		return s
	}
	if j.legacy == nil {
		j.legacy = map[health.Provider]*legacyShared{}
		j.nowMillis = pyMillisZ(j.now)
	}
	s := &legacyShared{
		system: strings.ReplaceAll(mp.opts.IdentifierSystem, "{provider}", string(p)),
		note:   []Annotation{{Time: j.nowMillis, Text: "Synced from " + providerName(p) + " Health Platform."}},
		metas:  map[health.Origin]*Meta{},
	}
	j.legacy[p] = s
	return s
}

// legacyTable returns the original's table. Heart rate keeps the unit text
// "bpm" but gets the UCUM code /min instead of the original's {beats}/min.
func legacyTable(steps string) []legacyMapping {
	return []legacyMapping{
		legacyRow(health.KindHeartRate, "8867-4", "Heart rate", CatVitalSigns, "bpm", "/min"),
		legacyRow(health.KindRestingHR, "8867-4", "Heart rate", CatVitalSigns, "bpm", "/min"),
		legacyRow(health.KindStepsDaily, steps, "Steps", CatActivity, "steps", "[count]"),
		legacyRow(health.KindBodyWeight, "29463-7", "Body weight", CatVitalSigns, "kg", "kg"),
		legacyRow(health.KindBloodPressure, "85354-9", "Blood pressure", CatVitalSigns, "mmHg", "mm[Hg]"),
		legacyRow(health.KindBodyTemp, "8310-5", "Body temperature", CatVitalSigns, "°C", "Cel"),
		legacyRow(health.KindSpO2, "59408-5", "Oxygen saturation", CatVitalSigns, "%", "%"),
		legacyRow(health.KindSleep, "93832-4", "Sleep data", CatActivity, "minutes", "min"),
		legacyRow(health.KindECG, "8601-7", "EKG impression", CatProcedure, "", ""),
	}
}

// legacyTitle is Python's str.title().replace("-", " ") of a category code,
// which is how the original wrote category displays.
func legacyTitle(code string) string {
	parts := strings.Split(code, "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, " ")
}

// legacyTime is the instant the original keyed a record on: the measurement
// time, or 00:00 UTC of the provider-local date for daily values, which is
// what the original used and what its identifiers contain.
func legacyTime(m *health.Measurement) (time.Time, string) {
	if m.Day != "" {
		d, _ := time.Parse(time.DateOnly, m.Day)
		return d, m.Day
	}
	return m.Start, pyMillisZ(m.Start)
}

func (mp *Mapper) legacyObservation(j *job, m *health.Measurement, l legacyMapping) {
	switch {
	case m.Series != nil && mp.opts.Intraday == IntradaySamples:
		s := m.Series
		for i, v := range s.Values {
			if j.err != nil {
				return
			}
			if health.IsGap(v) {
				continue
			}
			at := s.At(i)
			o := mp.legacyBase(j, m, l, at, pyMillisZ(at), l.Code, "")
			o.ValueQuantity = &LegacyQuantity{PyFloat(v), l.UnitText, SystemUCUM, l.UCUM}
			j.put(o)
		}
	case m.Series != nil:
		mp.series(j, m, mp.kinds[m.Kind])
	case m.ECG != nil:
		mp.legacyECG(j, m, l)
	case m.BloodPressure != nil:
		mp.legacyBP(j, m, l)
	default:
		t, eff := legacyTime(m)
		o := mp.legacyBase(j, m, l, t, eff, l.Code, "")
		v := m.Value
		if m.Sleep != nil {
			v = minutes(time.Duration(m.Value * float64(time.Second)))
			if m.Sleep.Asleep >= 0 {
				v = minutes(m.Sleep.Asleep)
			}
		}
		o.ValueQuantity = &LegacyQuantity{PyFloat(v), l.UnitText, SystemUCUM, l.UCUM}
		j.put(o)
	}
}

// legacyBase builds the original's Observation skeleton (§6.2). idCode is the
// code in the identifier input, which for blood pressure is not the
// Observation code; suffix distinguishes the ECG-derived heart rate.
func (mp *Mapper) legacyBase(j *job, m *health.Measurement, l legacyMapping, t time.Time, eff, idCode, suffix string) *LegacyObservation {
	shared := mp.legacyShared(j, m.Provider)
	meta, ok := shared.metas[m.Origin]
	if !ok {
		meta = legacyMeta(m)
		shared.metas[m.Origin] = meta
	}
	o := &LegacyObservation{
		ResourceType:      "Observation",
		Status:            mp.opts.ObservationStatus,
		Category:          l.category,
		Code:              l.code,
		Subject:           *j.subject,
		EffectiveDateTime: eff,
		Meta:              meta,
	}
	var value string
	o.ID, o.urls, value = legacyNames(mp.opts.IdentifierStrategy, j.patient, t, l.Code, idCode, suffix)
	o.ident[0] = Identifier{Use: "secondary", System: shared.system, Value: value}
	o.Identifier = o.ident[:]
	if mp.opts.IncludeIssued {
		o.Issued = j.nowMillis
	}
	if mp.opts.DeviceInfoMode == DeviceInfoExtension {
		o.Extension = make([]Extension, 0, 3)
		o.Extension = append(o.Extension, Extension{URL: "obtained-from", ValueString: string(m.Provider)})
		if m.Device != "" {
			o.Extension = append(o.Extension, Extension{URL: "external-device-id", ValueString: m.Device})
		}
		if mp.opts.IncludeDeviceModelExt && m.DeviceModel != "" {
			o.Extension = append(o.Extension, Extension{URL: "device-model", ValueString: m.DeviceModel})
		}
	} else {
		o.Device = mp.deviceRef(j, m)
	}
	if suffix == "" {
		o.Note = shared.note
	}
	return o
}

func legacyMeta(m *health.Measurement) *Meta {
	src := map[health.Origin]Coding{
		health.OriginDevice:  {"https://open-health-exchange.com/measurement-source", "device", "Device measurement"},
		health.OriginManual:  {"https://open-health-exchange.com/measurement-source", "user", "User-entered measurement"},
		health.OriginUnknown: {"https://open-health-exchange.com/measurement-source", "unknown", "Unknown source"},
	}[m.Origin]
	return &Meta{Source: "#" + string(m.Provider), Tag: []Coding{
		{"http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "auto-generated", "Auto-generated"},
		{"https://open-health-exchange.com/provider", string(m.Provider), providerName(m.Provider)},
		src,
	}}
}

func (mp *Mapper) legacyBP(j *job, m *health.Measurement, l legacyMapping) {
	bp := m.BloodPressure
	t, eff := legacyTime(m)
	o := mp.legacyBase(j, m, l, t, eff, "85354-9:8462-4", "")
	part := func(code, name string, v float64) LegacyComponent {
		return LegacyComponent{Code: CodeableConcept{Coding: []Coding{loinc(code, name)}},
			ValueQuantity: &LegacyQuantity{PyFloat(v), "mmHg", SystemUCUM, "mm[Hg]"}}
	}
	o.Component = []LegacyComponent{part("8480-6", "Systolic blood pressure", bp.Systolic), part("8462-4", "Diastolic blood pressure", bp.Diastolic)}
	j.put(o)
	if bp.Pulse > 0 {
		hr := mp.legacy[health.KindHeartRate]
		p := mp.legacyBase(j, m, hr, t, eff, hr.Code, "")
		p.ValueQuantity = &LegacyQuantity{PyFloat(bp.Pulse), hr.UnitText, SystemUCUM, hr.UCUM}
		j.put(p)
	}
}

// formatHz prints a sampling rate without a fractional part when it has none.
func formatHz(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
