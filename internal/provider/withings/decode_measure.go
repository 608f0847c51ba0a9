package withings

import (
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// measTables are the getmeas lookup tables, built once per page.
type measTables struct {
	types   map[int]measType
	attribs map[int64]attribInfo
	rhythms map[int64]health.Rhythm
}

// Batch converts a getmeas page to health measurements, in group order.
//
// Identities: a single value is "<grpid>:<meastype>"; a blood pressure
// reading (types 9 and 10, with pulse 11 folded in) is "<grpid>:bp"; an ECG
// result (AF code 130 and intervals 135-138, with pulse 11 folded in) is
// "<grpid>:ecg". Withings keeps the grpid when a value is corrected, so the
// identity survives corrections.
//
// Skipped, never errors: category 2 (objectives) and any category other
// than 1; attrib 1 (possibly another person's measure, see attribs);
// meastypes without a health kind (see measTypes); segmental values of
// whole-body kinds; blood pressure with only one of systolic and diastolic
// (its pulse is kept as heart rate); and repeats of a group or of a
// (type, position) within a group, where the first occurrence wins.
// Undocumented attrib values are kept with health.OriginUnknown.
func (p MeasurePage) Batch() (health.Batch, error) {
	c := newConverter(SourceGetmeas)
	loc := c.zone(p.Timezone)
	c.batch.TimeZone = zoneName(loc)
	t := measTables{types: measTypes(), attribs: attribs(), rhythms: rhythms()}
	n := 0
	for i := range p.Groups {
		n += len(p.Groups[i].Measures)
	}
	c.reserve(n)
	for i := range p.Groups {
		if err := c.measureGroup(&p.Groups[i], i, loc, &t); err != nil {
			return health.Batch{}, err
		}
	}
	return c.batch, nil
}

// scaledMeasure is one measure of a group with its value scaled.
type scaledMeasure struct {
	typ   int
	value float64
}

// groupKey identifies a measure within a group.
type groupKey struct {
	typ      int64
	position int64
	hasPos   bool
}

// measureGroup converts group i of a page.
func (c *converter) measureGroup(g *MeasureGroup, i int, loc *time.Location, t *measTables) error {
	if g.Category.Set && g.Category.V != categoryMeasure {
		return nil
	}
	var a attribInfo // a missing or undocumented attrib: origin unknown
	if g.Attrib.Set {
		a = t.attribs[g.Attrib.V]
	}
	if a.skip {
		return nil
	}
	if !g.GrpID.Set || !g.Date.Set {
		return health.Errorf(health.KindBadProvider, "withings getmeas: measuregrps[%d]: grpid or date missing", i)
	}
	if gl := c.zone(g.Timezone); gl != nil {
		loc = gl
	}
	ms, err := scaleGroup(g, i, t)
	if err != nil {
		return err
	}
	base := health.Measurement{
		Start:       unixIn(g.Date.V, loc),
		TimeZone:    zoneName(loc),
		Modified:    optTime(g.Modified, loc),
		Device:      deviceID(g.DeviceID, g.HashDeviceID),
		DeviceModel: modelName(g.Model, g.modelID()),
		Origin:      a.origin,
	}
	c.emitGroup(itoa(g.GrpID.V), base, ms, t)
	return nil
}

// scaleGroup scales the measures of group i, dropping repeats of a (type,
// position) and segmental values of whole-body kinds.
func scaleGroup(g *MeasureGroup, i int, t *measTables) ([]scaledMeasure, error) {
	out := make([]scaledMeasure, 0, len(g.Measures))
	seen := make(map[groupKey]bool, len(g.Measures))
	for j, m := range g.Measures {
		if !m.Type.Set || !m.Value.Set {
			return nil, health.Errorf(health.KindBadProvider,
				"withings getmeas: measuregrps[%d].measures[%d]: type or value missing", i, j)
		}
		k := groupKey{typ: m.Type.V, position: m.Position.V, hasPos: m.Position.Set}
		if seen[k] || m.Type.V < 0 || m.Type.V > 1<<16 {
			continue
		}
		seen[k] = true
		typ := int(m.Type.V)
		info, known := t.types[typ]
		if !known && !payloadType(typ) {
			continue
		}
		if info.wholeBody && m.Position.Set && m.Position.V != positionWhole {
			continue
		}
		v, ok := scaleValue(m.Value.V, clampUnit(m.Unit.V)+info.shift)
		if !ok {
			return nil, health.Errorf(health.KindBadProvider,
				"withings getmeas: measuregrps[%d].measures[%d]: unit out of range", i, j)
		}
		out = append(out, scaledMeasure{typ: typ, value: v})
	}
	return out, nil
}

// emitGroup adds the measurements of one group: blood pressure and ECG
// payloads first, then single values in the order Withings listed them.
func (c *converter) emitGroup(grp string, base health.Measurement, ms []scaledMeasure, t *measTables) {
	bp := bloodPressure(ms)
	ecg := ecgResult(ms, t.rhythms)
	pulse, hasPulse := find(ms, typePulse)
	switch {
	case ecg != nil:
		ecg.HeartRate = pulse
		m := base
		m.Kind, m.RecordID, m.ECG = health.KindECG, grp+":ecg", ecg
		c.add(m)
	case bp != nil:
		bp.Pulse = pulse
	}
	if bp != nil {
		m := base
		m.Kind, m.RecordID, m.BloodPressure = health.KindBloodPressure, grp+":bp", bp
		c.add(m)
	}
	folded := hasPulse && (bp != nil || ecg != nil)
	for _, s := range ms {
		info, ok := t.types[s.typ]
		if !ok || (s.typ == typePulse && folded) {
			continue
		}
		m := base
		m.Kind, m.RecordID = info.kind, grp+":"+itoa(int64(s.typ))
		if info.kind == health.KindAFibPPG {
			rc := classification(int64(s.value), t.rhythms)
			m.Rhythm = &rc
		} else {
			m.Value = s.value
		}
		c.add(m)
	}
}

// payloadType reports whether typ is folded into a blood pressure or ECG
// payload rather than mapped on its own.
func payloadType(typ int) bool {
	switch typ {
	case typeDiastolic, typeSystolic, typeAFibECG, typeQRS, typePR, typeQT, typeQTc:
		return true
	}
	return false
}

// clampUnit narrows a wire unit to an int that scaleValue rejects when it is
// out of range, without overflowing.
func clampUnit(u int64) int {
	if u < -1000 || u > 1000 {
		return 1000
	}
	return int(u)
}

// find returns the value of the first measure of type typ.
func find(ms []scaledMeasure, typ int) (float64, bool) {
	for _, s := range ms {
		if s.typ == typ {
			return s.value, true
		}
	}
	return 0, false
}

// bloodPressure returns the group's reading, or nil unless it has both
// systolic and diastolic pressure.
func bloodPressure(ms []scaledMeasure) *health.BloodPressure {
	sys, okS := find(ms, typeSystolic)
	dia, okD := find(ms, typeDiastolic)
	if !okS || !okD {
		return nil
	}
	return &health.BloodPressure{Systolic: sys, Diastolic: dia}
}

// ecgResult returns the ECG result of a group that has an AF code (130) or
// ECG intervals (135-138, assumed to be in ms after scaling), or nil. The
// waveform is not in getmeas; Heart v2 carries it.
func ecgResult(ms []scaledMeasure, rh map[int64]health.Rhythm) *health.ECG {
	var e health.ECG // stays on the stack for the many groups without ECG
	found := false
	for _, s := range ms {
		switch s.typ {
		case typeAFibECG:
			e.Classification = classification(int64(s.value), rh)
		case typeQRS:
			e.QRS = s.value
		case typePR:
			e.PR = s.value
		case typeQT:
			e.QT = s.value
		case typeQTc:
			e.QTc = s.value
		default:
			continue
		}
		found = true
	}
	if !found {
		return nil
	}
	e.Lead = "I"
	out := new(health.ECG)
	*out = e
	return out
}
