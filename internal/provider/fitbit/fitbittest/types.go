package fitbittest

// shape is the time container of a data type's points (§3.9).
type shape int

const (
	shapeSample   shape = iota // sampleTime
	shapeInterval              // interval, civil fields included
	shapeDaily                 // date
	shapeSleep                 // session interval without civil fields; filtered on the end
	shapeECG                   // session interval with start == end; start_time >= only
)

// typeSpec is one data type of the catalog (§4).
type typeSpec struct {
	id, camel, scope string
	shape            shape
	named            bool // identifiable: list points carry name
	noList           bool // rollup only (total-calories)
}

const (
	scopeActivity = ScopePrefix + ".activity_and_fitness.readonly"
	scopeMetrics  = ScopePrefix + ".health_metrics_and_measurements.readonly"
	scopeSleep    = ScopePrefix + ".sleep.readonly"
	scopeECG      = ScopePrefix + ".ecg.readonly"
	scopeSettings = ScopePrefix + ".settings.readonly"
)

// catalog lists the data types the emulator knows. Those without a
// generator list as empty.
var catalog = map[string]typeSpec{}

func init() {
	for _, t := range []typeSpec{
		{id: "heart-rate", camel: "heartRate", scope: scopeMetrics, shape: shapeSample},
		{id: "heart-rate-variability", camel: "heartRateVariability", scope: scopeMetrics, shape: shapeSample},
		{id: "daily-resting-heart-rate", camel: "dailyRestingHeartRate", scope: scopeMetrics, shape: shapeDaily},
		{id: "daily-heart-rate-variability", camel: "dailyHeartRateVariability", scope: scopeMetrics, shape: shapeDaily},
		{id: "oxygen-saturation", camel: "oxygenSaturation", scope: scopeMetrics, shape: shapeSample},
		{id: "daily-oxygen-saturation", camel: "dailyOxygenSaturation", scope: scopeMetrics, shape: shapeDaily},
		{id: "daily-respiratory-rate", camel: "dailyRespiratoryRate", scope: scopeMetrics, shape: shapeDaily},
		{id: "respiratory-rate-sleep-summary", camel: "respiratoryRateSleepSummary", scope: scopeMetrics, shape: shapeSample},
		{id: "daily-sleep-temperature-derivations", camel: "dailySleepTemperatureDerivations", scope: scopeMetrics, shape: shapeDaily},
		{id: "core-body-temperature", camel: "coreBodyTemperature", scope: scopeMetrics, shape: shapeSample, named: true},
		{id: "weight", camel: "weight", scope: scopeMetrics, shape: shapeSample, named: true},
		{id: "body-fat", camel: "bodyFat", scope: scopeMetrics, shape: shapeSample, named: true},
		{id: "height", camel: "height", scope: scopeMetrics, shape: shapeSample, named: true},
		{id: "steps", camel: "steps", scope: scopeActivity, shape: shapeInterval},
		{id: "distance", camel: "distance", scope: scopeActivity, shape: shapeInterval},
		{id: "altitude", camel: "altitude", scope: scopeActivity, shape: shapeInterval},
		{id: "active-energy-burned", camel: "activeEnergyBurned", scope: scopeActivity, shape: shapeInterval},
		{id: "total-calories", camel: "totalCalories", scope: scopeActivity, shape: shapeInterval, noList: true},
		{id: "vo2-max", camel: "vo2Max", scope: scopeActivity, shape: shapeSample},
		{id: "run-vo2-max", camel: "runVo2Max", scope: scopeActivity, shape: shapeSample},
		{id: "daily-vo2-max", camel: "dailyVo2Max", scope: scopeActivity, shape: shapeDaily},
		{id: "sleep", camel: "sleep", scope: scopeSleep, shape: shapeSleep, named: true},
		{id: "electrocardiogram", camel: "electrocardiogram", scope: scopeECG, shape: shapeECG, named: true},
	} {
		catalog[t.id] = t
	}
}
