package fhir

import (
	"github.com/ohx-health/ohx/internal/health"
)

// ecg maps a recording to one Observation coded MDC 131328 whose lead-I
// component carries the whole waveform as R5 SampledData (never truncated),
// with the classification, the heart rate derived from the recording and the
// interval durations as further components.
func (mp *Mapper) ecg(j *job, m *health.Measurement, row *mapping) {
	e := m.ECG
	o := mp.base(j, m, row, "")
	if len(e.Samples) > 0 {
		c := Component{Code: CodeableConcept{Coding: mp.comps["ecg-lead-I"].Codes, Text: "Lead I"}}
		c.ValueSampledData = waveform(e)
		o.Component = append(o.Component, c)
	}
	if e.Classification.Rhythm != "" || e.Classification.ProviderCode != "" {
		cc, interp := mp.rhythm(e.Classification)
		o.Component = append(o.Component, Component{Code: CodeableConcept{Coding: mp.comps["ecg-rhythm"].Codes}, ValueCodeableConcept: cc})
		o.Interpretation = interp
	}
	if e.HeartRate > 0 {
		o.Component = append(o.Component, mp.quantityComponent("ecg-heart-rate", e.HeartRate, "beats/minute"))
	}
	for _, iv := range []struct {
		role string
		v    float64
	}{{"ecg-qrs", e.QRS}, {"ecg-pr", e.PR}, {"ecg-qt", e.QT}, {"ecg-qtc", e.QTc}} {
		if iv.v > 0 {
			o.Component = append(o.Component, mp.quantityComponent(iv.role, iv.v, "ms"))
		}
	}
	if e.Firmware != "" || e.FeatureVersion != "" {
		o.Note = []Annotation{{Text: ecgNote(m)}}
	}
	j.put(o)
}

// waveform renders the samples as SampledData: raw integers in data, the
// provider's scale as factor, so the physical value is data × factor in the
// origin's unit, exactly as recorded.
func waveform(e *health.ECG) *SampledData {
	sd := &SampledData{
		Origin:       Quantity{Value: 0, Unit: unitText(e.ScaleUnit), System: SystemUCUM, Code: e.ScaleUnit},
		Interval:     1000 / e.SamplingRate,
		IntervalUnit: "ms",
		Dimensions:   1,
		Data:         IntSamples(e.Samples),
	}
	if e.Scale != 0 && e.Scale != 1 {
		sd.Factor = e.Scale
	}
	return sd
}

func unitText(ucum string) string {
	if ucum == "uV" {
		return "µV"
	}
	return ucum
}

func ecgNote(m *health.Measurement) string {
	s := "Recorded by " + providerName(m.Provider)
	if m.DeviceModel != "" {
		s += " device " + m.DeviceModel
	}
	if m.ECG.Firmware != "" {
		s += "; firmware " + m.ECG.Firmware
	}
	if m.ECG.FeatureVersion != "" {
		s += "; feature version " + m.ECG.FeatureVersion
	}
	return s
}
