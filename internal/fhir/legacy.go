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
}

// legacyTable returns the original's table. Heart rate keeps the unit text
// "bpm" but gets the UCUM code /min instead of the original's {beats}/min.
func legacyTable(steps string) []legacyMapping {
	return []legacyMapping{
		{health.KindHeartRate, "8867-4", "Heart rate", CatVitalSigns, "bpm", "/min"},
		{health.KindRestingHR, "8867-4", "Heart rate", CatVitalSigns, "bpm", "/min"},
		{health.KindStepsDaily, steps, "Steps", CatActivity, "steps", "[count]"},
		{health.KindBodyWeight, "29463-7", "Body weight", CatVitalSigns, "kg", "kg"},
		{health.KindBloodPressure, "85354-9", "Blood pressure", CatVitalSigns, "mmHg", "mm[Hg]"},
		{health.KindBodyTemp, "8310-5", "Body temperature", CatVitalSigns, "°C", "Cel"},
		{health.KindSpO2, "59408-5", "Oxygen saturation", CatVitalSigns, "%", "%"},
		{health.KindSleep, "93832-4", "Sleep data", CatActivity, "minutes", "min"},
		{health.KindECG, "8601-7", "EKG impression", CatProcedure, "", ""},
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
	system := strings.ReplaceAll(mp.opts.IdentifierSystem, "{provider}", string(m.Provider))
	pname := providerName(m.Provider)
	o := &LegacyObservation{
		ResourceType:      "Observation",
		ID:                LegacyObservationID(j.patient, t, l.Code, suffix),
		Status:            mp.opts.ObservationStatus,
		Category:          []CodeableConcept{{Coding: []Coding{{SystemObsCategory, l.Category, legacyTitle(l.Category)}}}},
		Code:              CodeableConcept{Coding: []Coding{loinc(l.Code, l.Name)}, Text: l.Name},
		Subject:           *j.subject,
		EffectiveDateTime: eff,
		Meta:              legacyMeta(m),
		Identifier: []Identifier{{Use: "secondary", System: system,
			Value: LegacyIdentifierValue(mp.opts.IdentifierStrategy, LegacyIdentifierInput(j.patient, t, idCode+suffix))}},
	}
	if mp.opts.IncludeIssued {
		o.Issued = pyMillisZ(j.now)
	}
	if mp.opts.DeviceInfoMode == DeviceInfoExtension {
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
		o.Note = []Annotation{{Time: pyMillisZ(j.now), Text: "Synced from " + pname + " Health Platform."}}
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
