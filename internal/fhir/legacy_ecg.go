package fhir

import (
	"strings"

	"github.com/ohx-health/ohx/internal/health"
)

// legacyECG reproduces the original's ECG shape (§6.4), which the mobile app
// reads: LOINC 8601-7, the waveform as component[0].valueSampledData in µV,
// the coded interpretation N/DET/IND, and the heart rate as a separate
// Observation derived from the ECG. Unlike the original it keeps the whole
// waveform and scales provider units to µV correctly.
func (mp *Mapper) legacyECG(j *job, m *health.Measurement, l legacyMapping) {
	e := m.ECG
	t, eff := legacyTime(m)
	o := mp.legacyBase(j, m, l, t, eff, l.Code, "")
	o.Category = []CodeableConcept{{Coding: []Coding{{SystemObsCategory, CatProcedure, "Procedure"}}}}
	o.Code = CodeableConcept{Coding: []Coding{loinc("8601-7", "EKG impression")}, Text: "Electrocardiogram"}
	o.Note = nil
	ecgCode := CodeableConcept{Coding: []Coding{loinc("8601-7", "EKG impression")}}
	if r, ok := mp.rhythms[e.Classification.Rhythm]; ok && r.LegacyCode != "" {
		o.Interpretation = []CodeableConcept{{Coding: []Coding{{SystemInterp, r.LegacyCode, r.LegacyDisplay}}}}
	}
	if len(e.Samples) > 0 {
		o.Component = append(o.Component, LegacyComponent{Code: ecgCode, ValueSampledData: legacyWaveform(e)})
	}
	if s := legacyClassification(m.Provider, e.Classification); s != "" {
		o.Component = append(o.Component, LegacyComponent{Code: ecgCode, ValueString: s})
	}
	hr := mp.legacy[health.KindHeartRate]
	if !mp.opts.ECGEmitHR && e.HeartRate > 0 {
		o.Component = append(o.Component, LegacyComponent{Code: CodeableConcept{Coding: []Coding{loinc("8867-4", "Heart rate")}},
			ValueQuantity: &LegacyQuantity{PyFloat(e.HeartRate), hr.UnitText, SystemUCUM, hr.UCUM}})
	}
	if note := legacyECGNote(m); note != "" {
		o.Note = []Annotation{{Time: pyMillisZ(j.now), Text: note}}
	}
	if !mp.opts.ECGEmitHR || e.HeartRate <= 0 {
		j.put(o)
		return
	}
	// The original gave this heart rate the identifier of a regular heart
	// rate at the same second, so one of the two was dropped as a duplicate;
	// ohx suffixes it like the id.
	h := mp.legacyBase(j, m, hr, t, eff, hr.Code, ":from-ecg")
	h.ValueQuantity = &LegacyQuantity{PyFloat(e.HeartRate), hr.UnitText, SystemUCUM, hr.UCUM}
	if mp.opts.ObsLinking {
		h.DerivedFrom = []Reference{{Reference: mp.ref("Observation", o.ID)}}
	}
	j.putGroup(o, h) // h may refer to o: one group
}

// legacyWaveform writes every sample, scaled so that data × factor is µV.
func legacyWaveform(e *health.ECG) *LegacySampledData {
	factor := e.Scale
	if factor == 0 {
		factor = 1
	}
	if e.ScaleUnit == "mV" {
		factor *= 1000
	}
	return &LegacySampledData{
		Origin:       LegacyQuantity{0, "uV", SystemUCUM, "uV"},
		Interval:     PyFloat(1000 / e.SamplingRate),
		IntervalUnit: "ms",
		Factor:       PyFloat(factor),
		LowerLimit:   -3300,
		UpperLimit:   3300,
		Dimensions:   1,
		Data:         IntSamples(e.Samples),
	}
}

// legacyClassification is the original's valueString: Withings' afib code
// as NEGATIVE/POSITIVE/INCONCLUSIVE, other providers' own text.
func legacyClassification(p health.Provider, c health.Classification) string {
	if p != health.ProviderWithings {
		return c.ProviderCode
	}
	switch c.Rhythm {
	case "":
		return ""
	case health.RhythmSinus:
		return "NEGATIVE"
	case health.RhythmAFib:
		return "POSITIVE"
	}
	return "INCONCLUSIVE"
}

func legacyECGNote(m *health.Measurement) string {
	var parts []string
	add := func(label, v string) {
		if v != "" {
			parts = append(parts, label+": "+v)
		}
	}
	add("Device", m.DeviceModel)
	add("Firmware", m.ECG.Firmware)
	add("Feature Version", m.ECG.FeatureVersion)
	if m.ECG.SamplingRate > 0 {
		add("Sampling Frequency", formatHz(m.ECG.SamplingRate)+" Hz")
	}
	if len(parts) == 0 {
		return ""
	}
	return "Synced from " + providerName(m.Provider) + " Health Platform. Technical info: " + strings.Join(parts, "; ")
}
