package health

// Kind says what a Measurement measured. The strings are stable: they appear
// in FHIR identifiers, job arguments, metric labels and docs/mapping.md.
//
// Every kind fixes the unit of Measurement.Value and of Series samples, a UCUM
// code listed in KindInfos; decoders convert to it (Withings height in m
// becomes cm, Google weight in g becomes kg) so the mapping never has to.
type Kind string

// The measurement kinds ohx understands. The comment gives the unit.
const (
	KindBodyWeight    Kind = "body_weight"         // kg
	KindHeight        Kind = "height"              // cm
	KindBMI           Kind = "bmi"                 // kg/m2
	KindFatMass       Kind = "fat_mass"            // kg
	KindFatRatio      Kind = "fat_ratio"           // % of body weight
	KindFatFreeMass   Kind = "fat_free_mass"       // kg
	KindMuscleMass    Kind = "muscle_mass"         // kg
	KindBoneMass      Kind = "bone_mass"           // kg
	KindBodyWater     Kind = "body_water"          // kg (Withings hydration is a mass)
	KindVisceralFat   Kind = "visceral_fat"        // unitless index
	KindHeartRate     Kind = "heart_rate"          // /min; spot value or intraday Series
	KindRestingHR     Kind = "resting_heart_rate"  // /min, usually a daily value
	KindBloodPressure Kind = "blood_pressure"      // mm[Hg], payload BloodPressure
	KindBodyTemp      Kind = "body_temperature"    // Cel
	KindSkinTemp      Kind = "skin_temperature"    // Cel
	KindSpO2          Kind = "spo2"                // %, spot value or Series
	KindSpO2Nightly   Kind = "spo2_nightly"        // %, average over a night
	KindRespRate      Kind = "respiratory_rate"    // /min
	KindHRVRMSSD      Kind = "hrv_rmssd"           // ms, root mean square of successive differences
	KindHRVSDNN       Kind = "hrv_sdnn"            // ms, standard deviation of NN intervals
	KindStepsDaily    Kind = "steps_daily"         // {steps}, total of a local day
	KindSteps         Kind = "steps"               // {steps}, total of an interval [Start, End)
	KindDistance      Kind = "distance"            // m
	KindActiveEnergy  Kind = "active_energy"       // kcal
	KindTotalEnergy   Kind = "total_energy"        // kcal
	KindFloors        Kind = "floors"              // {floors} climbed
	KindElevation     Kind = "elevation"           // m gained
	KindSleep         Kind = "sleep"               // s asleep, payload Sleep
	KindECG           Kind = "ecg"                 // payload ECG
	KindAFibPPG       Kind = "afib_ppg"            // payload Rhythm (Classification)
	KindPWV           Kind = "pulse_wave_velocity" // m/s
	KindVascularAge   Kind = "vascular_age"        // a (years)
	KindVO2Max        Kind = "vo2_max"             // mL/min/kg
)

// KindInfo describes a Kind for documentation and validation.
type KindInfo struct {
	Kind Kind
	// Unit is the UCUM code of Value and Series samples; empty for kinds
	// whose value is a structured payload only.
	Unit string
	// Description is a short English description for docs/mapping.md.
	Description string
}

// KindInfos returns every Kind with its unit, in a stable order. It is a data
// table; the returned slice is new on every call and may be modified.
func KindInfos() []KindInfo {
	return []KindInfo{
		{KindBodyWeight, "kg", "body weight"},
		{KindHeight, "cm", "body height"},
		{KindBMI, "kg/m2", "body mass index"},
		{KindFatMass, "kg", "fat mass"},
		{KindFatRatio, "%", "body fat percentage"},
		{KindFatFreeMass, "kg", "fat-free mass"},
		{KindMuscleMass, "kg", "muscle mass"},
		{KindBoneMass, "kg", "bone mass"},
		{KindBodyWater, "kg", "body water (hydration) mass"},
		{KindVisceralFat, "1", "visceral fat index"},
		{KindHeartRate, "/min", "heart rate, spot or intraday series"},
		{KindRestingHR, "/min", "resting heart rate"},
		{KindBloodPressure, "mm[Hg]", "blood pressure: systolic, diastolic, cuff pulse"},
		{KindBodyTemp, "Cel", "body temperature"},
		{KindSkinTemp, "Cel", "skin temperature"},
		{KindSpO2, "%", "oxygen saturation, spot or series"},
		{KindSpO2Nightly, "%", "oxygen saturation, nightly average"},
		{KindRespRate, "/min", "respiratory rate"},
		{KindHRVRMSSD, "ms", "heart rate variability, RMSSD"},
		{KindHRVSDNN, "ms", "heart rate variability, SDNN"},
		{KindStepsDaily, "{steps}", "steps, daily total"},
		{KindSteps, "{steps}", "steps in an interval"},
		{KindDistance, "m", "distance walked or run"},
		{KindActiveEnergy, "kcal", "active energy burned"},
		{KindTotalEnergy, "kcal", "total energy burned"},
		{KindFloors, "{floors}", "floors climbed"},
		{KindElevation, "m", "elevation gained"},
		{KindSleep, "s", "sleep session: duration, stages, awakenings, efficiency, score"},
		{KindECG, "", "single-lead ECG: waveform, classification, heart rate, intervals"},
		{KindAFibPPG, "", "atrial fibrillation result from PPG"},
		{KindPWV, "m/s", "pulse wave velocity"},
		{KindVascularAge, "a", "vascular age"},
		{KindVO2Max, "mL/min/kg", "VO2 max"},
	}
}

// Info returns the description of k, and false when k is not a known kind.
func (k Kind) Info() (KindInfo, bool) {
	for _, ki := range KindInfos() {
		if ki.Kind == k {
			return ki, true
		}
	}
	return KindInfo{}, false
}
