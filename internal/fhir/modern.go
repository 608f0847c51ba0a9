package fhir

import (
	"strconv"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// modernObservation maps one measurement in modern mode. The payload decides
// the shape; the kind's table row decides the codes.
func (mp *Mapper) modernObservation(j *job, m *health.Measurement) {
	row := mp.kinds[m.Kind]
	switch {
	case m.Series != nil:
		mp.series(j, m, row)
	case m.BloodPressure != nil:
		mp.bloodPressure(j, m, row)
	case m.Sleep != nil:
		mp.sleep(j, m, row)
	case m.ECG != nil:
		mp.ecg(j, m, row)
	case m.Rhythm != nil:
		o := mp.base(j, m, row, "")
		o.ValueCodeableConcept, o.Interpretation = mp.rhythm(*m.Rhythm)
		j.put(o)
	default:
		o := mp.base(j, m, row, "")
		o.setQuantity(quantityOf(m.Value, row.Unit, row.UnitText))
		j.put(o)
	}
}

// ObservationIdentifierValue returns the modern identifier value of a
// measurement: "{provider}:{kind}:{record id}", plus ":{suffix}" for the
// resources one record yields several of (an hour of a series, the cuff
// pulse). It contains no value, so a correction updates the same resource.
func ObservationIdentifierValue(m *health.Measurement, suffix string) string {
	var buf [128]byte
	return string(appendIdentifierValue(buf[:0], m, suffix))
}

func appendIdentifierValue(b []byte, m *health.Measurement, suffix string) []byte {
	b = append(b, m.Provider...)
	b = append(b, ':')
	b = append(b, m.Kind...)
	b = append(b, ':')
	b = append(b, m.RecordID...)
	if suffix != "" {
		b = append(b, ':')
		b = append(b, suffix...)
	}
	return b
}

// base builds the skeleton every modern Observation shares.
func (mp *Mapper) base(j *job, m *health.Measurement, row *mapping, suffix string) *Observation {
	var buf [128]byte
	o := mp.skeleton(j, m, row, appendIdentifierValue(buf[:0], m, suffix))
	o.EffectiveDateTime, o.EffectivePeriod = effective(m, row.Period)
	return o
}

// seriesBase is base for one sample or hour of a series, whose identifier
// suffix is its UTC time in layout; the caller sets the effective time.
// A series can yield 86,400 Observations, so the identifier is built in
// one allocation.
func (mp *Mapper) seriesBase(j *job, m *health.Measurement, row *mapping, at time.Time, layout string) *Observation {
	var buf [128]byte
	b := appendIdentifierValue(buf[:0], m, "")
	b = append(b, ':')
	b = at.UTC().AppendFormat(b, layout)
	return mp.skeleton(j, m, row, b)
}

// skeleton builds the parts every modern Observation shares, for the
// identifier value.
func (mp *Mapper) skeleton(j *job, m *health.Measurement, row *mapping, value []byte) *Observation {
	o := &Observation{
		ResourceType: "Observation",
		Status:       "final",
		Category:     mp.cats[row.Category],
		Code:         CodeableConcept{Coding: row.Codes, Text: row.Text},
		Subject:      j.subject,
		Method:       mp.methods[m.Origin],
		Device:       mp.deviceRef(j, m),
	}
	var v string
	v, o.ID, o.urls = observationNames(j.patient, value)
	o.ident[0] = Identifier{Use: "official", System: SystemOHXObservationID, Value: v}
	o.Identifier = o.ident[:]
	if !m.Modified.IsZero() {
		o.Issued = fhirTime(m.Modified)
	}
	return o
}

// effective picks effectiveDateTime for instants and effectivePeriod for
// intervals and daily totals. A daily total without clock times becomes a
// date-only Period, which FHIR reads as the whole local day.
func effective(m *health.Measurement, period bool) (string, *Period) {
	switch {
	case !m.End.IsZero():
		return "", &Period{Start: fhirTime(m.Start), End: fhirTime(m.End)}
	case m.Day != "" && (m.Start.IsZero() || period):
		return "", &Period{Start: m.Day, End: m.Day}
	}
	return fhirTime(m.Start), nil
}

func quantityOf(v float64, code, unit string) Quantity {
	return Quantity{Value: v, Unit: unit, System: SystemUCUM, Code: code}
}

func quantity(v float64, code, unit string) *Quantity {
	q := quantityOf(v, code, unit)
	return &q
}

// deviceRef refers to the measuring device: literally when its Device is in
// this publication, by identifier otherwise, so that the reference never
// dangles and an Observation never overwrites a fuller Device with a stub.
func (mp *Mapper) deviceRef(j *job, m *health.Measurement) *Reference {
	if m.Device == "" && m.DeviceModel == "" {
		return nil
	}
	key := deviceKey{m.Provider, m.Device, m.DeviceModel}
	if r, ok := j.devRefs[key]; ok {
		return r // shared: references are never modified after mapping
	}
	var r *Reference
	switch {
	case m.Device == "":
		// The provider named the model but no device (the Google Health
		// API's data source): say which, without a reference to resolve.
		r = &Reference{Display: m.DeviceModel}
	case j.devices[m.Device]:
		r = &Reference{Reference: mp.ref("Device", DeviceID(string(m.Provider), m.Device)), Display: m.DeviceModel}
	default:
		r = &Reference{Identifier: &Identifier{System: deviceSystem(m.Provider), Value: m.Device}, Display: m.DeviceModel}
	}
	j.devRefs[key] = r
	return r
}

type deviceKey struct {
	provider      health.Provider
	device, model string
}

func (mp *Mapper) bloodPressure(j *job, m *health.Measurement, row *mapping) {
	bp := m.BloodPressure
	o := mp.base(j, m, row, "")
	o.Component = []Component{
		mp.quantityComponent("bp-systolic", bp.Systolic, "mmHg"),
		mp.quantityComponent("bp-diastolic", bp.Diastolic, "mmHg"),
	}
	j.put(o)
	if bp.Pulse > 0 {
		hr := mp.kinds[health.KindHeartRate]
		p := mp.base(j, m, hr, "pulse")
		p.setQuantity(quantityOf(bp.Pulse, hr.Unit, hr.UnitText))
		j.put(p)
	}
}

func (mp *Mapper) quantityComponent(role string, v float64, unitText string) Component {
	c := mp.comps[role]
	return Component{Code: CodeableConcept{Coding: c.Codes}, ValueQuantity: quantity(v, c.Unit, unitText)}
}

// sleep maps a session to one Observation: total sleep as the value, the
// stage durations, awakenings, efficiency and score as components. Fields the
// provider did not report are left out rather than written as zero.
func (mp *Mapper) sleep(j *job, m *health.Measurement, row *mapping) {
	s := m.Sleep
	o := mp.base(j, m, row, "")
	asleep := s.Asleep
	if asleep < 0 {
		asleep = time.Duration(m.Value * float64(time.Second))
	}
	o.setQuantity(quantityOf(minutes(asleep), row.Unit, row.UnitText))
	for _, d := range []struct {
		role string
		d    time.Duration
	}{
		{"sleep-deep", s.Deep}, {"sleep-light", s.Light}, {"sleep-rem", s.REM},
		{"sleep-awake", s.Awake}, {"sleep-in-bed", s.InBed}, {"sleep-latency", s.Latency},
	} {
		if d.d >= 0 {
			o.Component = append(o.Component, mp.quantityComponent(d.role, minutes(d.d), "min"))
		}
	}
	if s.Awakenings >= 0 {
		n := s.Awakenings
		o.Component = append(o.Component, Component{Code: CodeableConcept{Coding: mp.comps["sleep-awakenings"].Codes}, ValueInteger: &n})
	}
	if s.Efficiency >= 0 {
		o.Component = append(o.Component, mp.quantityComponent("sleep-efficiency", s.Efficiency, "%"))
	}
	if s.Score >= 0 {
		o.Component = append(o.Component, mp.quantityComponent("sleep-score", s.Score, "score"))
	}
	j.put(o)
}

func minutes(d time.Duration) float64 { return d.Minutes() }

// rhythm codes a classification as an ohx rhythm code plus the standard
// v3 interpretation, keeping the provider's own code as text.
func (mp *Mapper) rhythm(c health.Classification) (*CodeableConcept, []CodeableConcept) {
	r, ok := mp.rhythms[c.Rhythm]
	if !ok {
		return &CodeableConcept{Text: "provider code " + c.ProviderCode}, nil
	}
	cc := &CodeableConcept{Coding: []Coding{{System: SystemOHXRhythm, Code: string(r.Rhythm), Display: r.Display}}, Text: r.Display}
	if c.ProviderCode != "" {
		cc.Text += " (provider code " + c.ProviderCode + ")"
	}
	if r.Interp == "" {
		return cc, nil
	}
	return cc, []CodeableConcept{{Coding: []Coding{{System: SystemInterp, Code: r.Interp, Display: interpDisplay(r.Interp)}}}}
}

// formatSample appends v in the shortest form that reads back exactly.
func formatSample(b []byte, v float64) []byte {
	// Most samples are small whole numbers (beats per minute, steps, SpO2):
	// write their digits directly, which is several times faster than strconv.
	if v >= 0 && v < 1000 {
		if n := int(v); float64(n) == v {
			switch {
			case n < 10:
				return append(b, byte('0'+n))
			case n < 100:
				return append(b, byte('0'+n/10), byte('0'+n%10))
			default:
				return append(b, byte('0'+n/100), byte('0'+n/10%10), byte('0'+n%10))
			}
		}
	}
	if v == float64(int64(v)) && v > -1e15 && v < 1e15 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}
