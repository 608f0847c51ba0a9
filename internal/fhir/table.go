package fhir

import "github.com/ohx-health/ohx/internal/health"

// Code systems and URIs ohx writes.
const (
	SystemLOINC       = "http://loinc.org"
	SystemUCUM        = "http://unitsofmeasure.org"
	SystemMDC         = "urn:oid:2.16.840.1.113883.6.24" // ISO/IEEE 11073-10101, OID form as in the R5 ECG example
	SystemSNOMED      = "http://snomed.info/sct"
	SystemISO11073    = "urn:iso:std:iso:11073:10101" // as used by the R5 device-type value set
	SystemObsCategory = "http://terminology.hl7.org/CodeSystem/observation-category"
	SystemInterp      = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

	// OHXBase is the root of every URI ohx mints. It is under the project's
	// own name so it can never clash with a terminology ohx does not own.
	OHXBase = "https://ohx-health.github.io/ohx/fhir"
	// SystemOHX is ohx's CodeSystem for what no standard code fits.
	SystemOHX = OHXBase + "/CodeSystem/observation"
	// SystemOHXObservationID is the identifier system of modern Observations.
	SystemOHXObservationID = OHXBase + "/sid/observation"
	// SystemOHXSource identifies a provider API call in Provenance.entity.
	SystemOHXSource = OHXBase + "/sid/provider-source"
	// SystemOHXRhythm is ohx's CodeSystem of heart rhythm classes (health.Rhythm).
	SystemOHXRhythm = OHXBase + "/CodeSystem/rhythm"
)

// Observation categories ohx uses.
const (
	CatVitalSigns = "vital-signs"
	CatActivity   = "activity"
	CatExam       = "exam"
	CatProcedure  = "procedure"
)

// categoryTable returns the observation-category codes ohx uses with their
// displays.
func categoryTable() []Coding {
	return []Coding{
		{SystemObsCategory, CatVitalSigns, "Vital Signs"},
		{SystemObsCategory, CatActivity, "Activity"},
		{SystemObsCategory, CatExam, "Exam"},
		{SystemObsCategory, CatProcedure, "Procedure"},
	}
}

// methodTable returns how Observation.method records whether a device
// measured the value or a person typed it, which clinicians weigh
// differently. An unknown origin has no method.
func methodTable() map[health.Origin]*CodeableConcept {
	return map[health.Origin]*CodeableConcept{
		health.OriginManual: {Coding: []Coding{ohx("manual-entry", "Entered by hand")}, Text: "Entered by hand"},
		health.OriginDevice: {Coding: []Coding{ohx("device-measured", "Measured by a device")}, Text: "Measured by a device"},
	}
}

// mapping is one row of the modern mapping table: how a health.Kind becomes an
// Observation. Codes[0] is the primary code; further codings are equivalents
// a profile asks for (SpO2 59408-5 next to 2708-6).
type mapping struct {
	Kind     health.Kind
	Category string
	Codes    []Coding
	Text     string
	// Unit is the UCUM code of valueQuantity; UnitText its human form.
	Unit, UnitText string
	// Period marks kinds whose effective[x] is always a Period (daily and
	// interval totals).
	Period bool
	// Source says where the code comes from, for docs/mapping.md.
	Source string
}

func loinc(code, display string) Coding { return Coding{SystemLOINC, code, display} }
func mdc(code, display string) Coding   { return Coding{SystemMDC, code, display} }
func ohx(code, display string) Coding   { return Coding{SystemOHX, code, display} }

// Sources cited in the table.
const (
	srcVS      = "R5 vital-signs profiles (hl7.org/fhir/R5/observation-vitalsigns.html)"
	srcIssue   = "ohx issue 3 (required code)"
	srcPA      = "Physical Activity IG time-based measures (hl7.org/fhir/us/physical-activity)"
	srcPHR     = "PHR IG ValueSet pcd-sleep-observation-code (LOINC sleep durations)"
	srcUSCore  = "US Core clinical-test examples (LOINC {EKG lead} intervals)"
	srcMDC     = "IEEE 11073-10101 via the R5 ECG SampledData example"
	srcNoStd   = "no standard code fits: ohx CodeSystem + text"
	srcLOINCPA = "LOINC; R5 vital-signs (heart rate) and Physical Activity IG"
)

// modernTable returns the mapping table. It is data: add a kind here, not a
// branch in code. TestMappingTableCoversEveryKind keeps it complete.
func modernTable() []mapping {
	return []mapping{
		{health.KindBodyWeight, CatVitalSigns, []Coding{loinc("29463-7", "Body weight")}, "Body weight", "kg", "kg", false, srcVS},
		{health.KindHeight, CatVitalSigns, []Coding{loinc("8302-2", "Body height")}, "Body height", "cm", "cm", false, srcVS},
		{health.KindBMI, CatVitalSigns, []Coding{loinc("39156-5", "Body mass index (BMI) [Ratio]")}, "Body mass index", "kg/m2", "kg/m2", false, srcVS},
		{health.KindFatRatio, CatExam, []Coding{loinc("41982-0", "Percentage of body fat Measured")}, "Body fat percentage", "%", "%", false, srcIssue},
		{health.KindFatMass, CatExam, []Coding{ohx("fat-mass", "Fat mass")}, "Fat mass", "kg", "kg", false, srcNoStd + " (the LOINC fat-mass codes name DEXA, which a scale is not)"},
		{health.KindFatFreeMass, CatExam, []Coding{ohx("fat-free-mass", "Fat-free mass")}, "Fat-free mass", "kg", "kg", false, srcNoStd},
		{health.KindMuscleMass, CatExam, []Coding{ohx("muscle-mass", "Muscle mass")}, "Muscle mass", "kg", "kg", false, srcNoStd},
		{health.KindBoneMass, CatExam, []Coding{ohx("bone-mass", "Bone mass")}, "Bone mass", "kg", "kg", false, srcNoStd},
		{health.KindBodyWater, CatExam, []Coding{ohx("body-water-mass", "Body water mass")}, "Body water mass", "kg", "kg", false, srcNoStd},
		{health.KindVisceralFat, CatExam, []Coding{ohx("visceral-fat-index", "Visceral fat index")}, "Visceral fat index", "1", "index", false, srcNoStd},
		{health.KindHeartRate, CatVitalSigns, []Coding{loinc("8867-4", "Heart rate")}, "Heart rate", "/min", "beats/minute", false, srcIssue + "; " + srcVS},
		{health.KindRestingHR, CatVitalSigns, []Coding{loinc("40443-4", "Heart rate --resting"), loinc("8867-4", "Heart rate")}, "Resting heart rate", "/min", "beats/minute", false, srcLOINCPA},
		{health.KindBloodPressure, CatVitalSigns, []Coding{loinc("85354-9", "Blood pressure panel with all children optional")}, "Blood pressure", "mm[Hg]", "mmHg", false, srcIssue + "; " + srcVS},
		{health.KindBodyTemp, CatVitalSigns, []Coding{loinc("8310-5", "Body temperature")}, "Body temperature", "Cel", "°C", false, srcIssue + "; " + srcVS},
		{health.KindSkinTemp, CatVitalSigns, []Coding{loinc("39106-0", "Temperature of Skin")}, "Skin temperature", "Cel", "°C", false, srcIssue},
		{health.KindSpO2, CatVitalSigns, []Coding{loinc("2708-6", "Oxygen saturation in Arterial blood"), loinc("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry")}, "Oxygen saturation", "%", "%", false, srcIssue + "; " + srcVS},
		{health.KindSpO2Nightly, CatVitalSigns, []Coding{ohx("spo2-nightly-average", "Oxygen saturation, average over a night")}, "Oxygen saturation, nightly average", "%", "%", true, srcNoStd + " (2708-6 is a point-in-time measure, not an average)"},
		{health.KindRespRate, CatVitalSigns, []Coding{loinc("9279-1", "Respiratory rate")}, "Respiratory rate", "/min", "breaths/minute", false, srcIssue + "; " + srcVS},
		{health.KindHRVSDNN, CatVitalSigns, []Coding{loinc("80404-7", "R-R interval.standard deviation (Heart rate variability)")}, "Heart rate variability (SDNN)", "ms", "ms", false, srcIssue},
		{health.KindHRVRMSSD, CatVitalSigns, []Coding{ohx("hrv-rmssd", "Heart rate variability, RMSSD")}, "Heart rate variability (RMSSD)", "ms", "ms", false, srcNoStd + " (80404-7 is SDNN and must not label RMSSD)"},
		{health.KindStepsDaily, CatActivity, []Coding{loinc("41950-7", "Number of steps in 24 hour Measured")}, "Steps per day", "/d", "steps/day", true, srcIssue + "; " + srcPA},
		{health.KindSteps, CatActivity, []Coding{loinc("55423-8", "Number of steps in unspecified time Pedometer")}, "Steps", "{steps}", "steps", true, srcIssue},
		{health.KindDistance, CatActivity, []Coding{ohx("distance", "Distance walked or run")}, "Distance", "m", "m", true, srcNoStd},
		{health.KindActiveEnergy, CatActivity, []Coding{ohx("active-energy", "Active energy burned")}, "Active energy burned", "kcal", "kcal", true, srcNoStd},
		{health.KindTotalEnergy, CatActivity, []Coding{ohx("total-energy", "Total energy burned")}, "Total energy burned", "kcal", "kcal", true, srcNoStd},
		{health.KindFloors, CatActivity, []Coding{ohx("floors", "Floors climbed")}, "Floors climbed", "{floors}", "floors", true, srcNoStd},
		{health.KindElevation, CatActivity, []Coding{ohx("elevation-gain", "Elevation gained")}, "Elevation gained", "m", "m", true, srcNoStd},
		{health.KindSleep, CatActivity, []Coding{loinc("93832-4", "Sleep duration")}, "Sleep", "min", "min", true, srcPHR},
		{health.KindECG, CatProcedure, []Coding{mdc("131328", "MDC_ECG_ELEC_POTL")}, "Electrocardiogram", "", "", false, srcIssue + "; " + srcMDC},
		{health.KindAFibPPG, CatProcedure, []Coding{ohx("afib-ppg", "Atrial fibrillation assessment from PPG")}, "Atrial fibrillation result (PPG)", "", "", false, srcNoStd},
		{health.KindPWV, CatExam, []Coding{ohx("pulse-wave-velocity", "Pulse wave velocity")}, "Pulse wave velocity", "m/s", "m/s", false, srcNoStd},
		{health.KindVascularAge, CatExam, []Coding{ohx("vascular-age", "Vascular age")}, "Vascular age", "a", "years", false, srcNoStd},
		{health.KindVO2Max, CatActivity, []Coding{ohx("vo2-max", "VO2 max")}, "VO2 max", "mL/min/kg", "mL/min/kg", false, srcNoStd},
	}
}

// componentCodes are the codes of Observation.component, keyed by role.
type componentCode struct {
	Role   string
	Codes  []Coding
	Unit   string
	Source string
}

// componentTable returns the component codes. Like modernTable it is data,
// and docs/mapping.md is generated from it.
func componentTable() []componentCode {
	return []componentCode{
		{"bp-systolic", []Coding{loinc("8480-6", "Systolic blood pressure")}, "mm[Hg]", srcIssue},
		{"bp-diastolic", []Coding{loinc("8462-4", "Diastolic blood pressure")}, "mm[Hg]", srcIssue},
		{"sleep-deep", []Coding{loinc("93831-6", "Deep sleep duration")}, "min", srcPHR},
		{"sleep-light", []Coding{loinc("93830-8", "Light sleep duration")}, "min", srcPHR},
		{"sleep-rem", []Coding{loinc("93829-0", "REM sleep duration")}, "min", srcPHR},
		{"sleep-awake", []Coding{ohx("sleep-awake-duration", "Time awake after sleep onset")}, "min", srcNoStd},
		{"sleep-in-bed", []Coding{ohx("time-in-bed", "Time in bed")}, "min", srcNoStd},
		{"sleep-latency", []Coding{ohx("sleep-latency", "Time to fall asleep")}, "min", srcNoStd},
		{"sleep-awakenings", []Coding{ohx("sleep-awakenings", "Number of awakenings")}, "", srcNoStd},
		{"sleep-efficiency", []Coding{ohx("sleep-efficiency", "Sleep efficiency")}, "%", srcNoStd},
		{"sleep-score", []Coding{ohx("sleep-score", "Provider sleep score")}, "{score}", srcNoStd + " (a provider-specific index)"},
		{"ecg-lead-I", []Coding{mdc("131329", "MDC_ECG_ELEC_POTL_I")}, "", srcIssue + "; " + srcMDC},
		{"ecg-heart-rate", []Coding{mdc("147842", "MDC_ECG_HEART_RATE"), loinc("8867-4", "Heart rate")}, "/min", srcMDC},
		{"ecg-rhythm", []Coding{ohx("ecg-rhythm", "ECG rhythm classification")}, "", srcNoStd},
		{"ecg-qrs", []Coding{loinc("44973-6", "QRS duration {EKG lead}")}, "ms", srcUSCore},
		{"ecg-pr", []Coding{loinc("44976-9", "P-R interval {EKG lead}")}, "ms", srcUSCore},
		{"ecg-qt", []Coding{loinc("44975-1", "Q-T interval {EKG lead}")}, "ms", srcUSCore},
		{"ecg-qtc", []Coding{ohx("ecg-qtc", "Corrected Q-T interval")}, "ms", srcNoStd},
	}
}

// rhythmCode is how a health.Rhythm is coded: an ohx code for the class and
// a v3 interpretation (N normal, A abnormal, IND indeterminate).
type rhythmCode struct {
	Rhythm  health.Rhythm
	Display string
	Interp  string
	// Legacy is the original's interpretation code and display (§6.4).
	LegacyCode, LegacyDisplay string
}

// rhythmTable returns how each rhythm class is coded.
func rhythmTable() []rhythmCode {
	return []rhythmCode{
		{health.RhythmSinus, "Sinus rhythm", "N", "N", "sinusRhythm"},
		{health.RhythmAFib, "Atrial fibrillation", "A", "DET", "atrialFibrillation"},
		{health.RhythmInconclusive, "Inconclusive", "IND", "IND", "inconclusivePoorReading"},
		{health.RhythmHighHR, "Inconclusive: high heart rate", "IND", "IND", "inconclusivePoorReading"},
		{health.RhythmLowHR, "Inconclusive: low heart rate", "IND", "IND", "inconclusivePoorReading"},
		{health.RhythmUnreadable, "Unreadable", "IND", "IND", "inconclusivePoorReading"},
		{health.RhythmNotAnalyzed, "Not analyzed", "", "", ""},
	}
}

// interpDisplay returns the v3-ObservationInterpretation display of code.
func interpDisplay(code string) string {
	switch code {
	case "N":
		return "Normal"
	case "A":
		return "Abnormal"
	case "IND":
		return "Indeterminate"
	case "DET":
		return "Detected"
	}
	return ""
}

// deviceTypeCode is how a health.DeviceType is coded on Device.type.
type deviceTypeCode struct {
	Type   health.DeviceType
	SNOMED Coding
	// MDC is the R5 device-type value set's ISO 11073 code, when one fits.
	MDC Coding
}

// deviceTypeTable returns the Device.type codes. The SNOMED codes are the
// original service's (§7.2), kept so migrating sites see the same types.
func deviceTypeTable() []deviceTypeCode {
	sct := func(c, d string) Coding { return Coding{SystemSNOMED, c, d} }
	iso := func(c, d string) Coding { return Coding{SystemISO11073, c, d} }
	return []deviceTypeCode{
		{health.DeviceBPMonitor, sct("43770009", "Sphygmomanometer"), iso("528391", "Blood Pressure Cuff")},
		{health.DeviceScale, sct("19892000", "Scale"), iso("528399", "Weight Scale")},
		{health.DeviceActivityTracker, sct("466093008", "Activity tracker"), Coding{}},
		{health.DeviceSmartwatch, sct("706767009", "Wearable device"), Coding{}},
		{health.DeviceThermometer, sct("86184003", "Thermometer"), iso("528392", "Thermometer")},
		{health.DevicePulseOximeter, sct("258185003", "Pulse oximeter"), iso("528388", "Pulse Oximeter")},
		{health.DeviceSleepMonitor, sct("49062001", "Device"), Coding{}},
		{health.DevicePhone, sct("49062001", "Device"), Coding{}},
		{health.DeviceUnknown, sct("49062001", "Device"), Coding{}},
	}
}
