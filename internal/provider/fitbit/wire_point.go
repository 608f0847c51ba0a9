package fitbit

// listPage is a ListDataPointsResponse {dataPoints, nextPageToken}, and also
// the ReconcileDataPointsResponse of the same shape. A last page may be the
// literal {} (proto3 omits the empty array), which reads as no points.
// RollupDataPoints is only read for total-calories, which has no list.
type listPage struct {
	DataPoints       []dataPoint   `json:"dataPoints"`
	RollupDataPoints []rollupPoint `json:"rollupDataPoints"`
	NextPageToken    Text          `json:"nextPageToken"`
}

// dataPoint is one DataPoint (list) or ReconciledDataPoint (reconcile). The
// value is a union: exactly one of the camelCase value keys is set, the one
// of the data type that was listed.
type dataPoint struct {
	// Name is the resource name, on identifiable types only (§10.7).
	Name Text `json:"name"`
	// DataPointName is the name as reconcile spells it (§10.6).
	DataPointName Text `json:"dataPointName"`
	// DataSource is present on list points only.
	DataSource *dataSource `json:"dataSource"`

	HeartRate                        *heartRate             `json:"heartRate"`
	DailyRestingHeartRate            *dailyRestingHeartRate `json:"dailyRestingHeartRate"`
	HeartRateVariability             *heartRateVariability  `json:"heartRateVariability"`
	DailyHeartRateVariability        *dailyHRV              `json:"dailyHeartRateVariability"`
	Steps                            *intervalCount         `json:"steps"`
	Distance                         *distance              `json:"distance"`
	Floors                           *intervalCount         `json:"floors"`
	Altitude                         *altitude              `json:"altitude"`
	ActiveEnergyBurned               *activeEnergy          `json:"activeEnergyBurned"`
	Weight                           *weight                `json:"weight"`
	BodyFat                          *percentSample         `json:"bodyFat"`
	Height                           *height                `json:"height"`
	OxygenSaturation                 *percentSample         `json:"oxygenSaturation"`
	DailyOxygenSaturation            *dailyOxygenSaturation `json:"dailyOxygenSaturation"`
	DailyRespiratoryRate             *dailyRespiratoryRate  `json:"dailyRespiratoryRate"`
	RespiratoryRateSleepSummary      *respiratorySummary    `json:"respiratoryRateSleepSummary"`
	DailySleepTemperatureDerivations *dailySleepTemperature `json:"dailySleepTemperatureDerivations"`
	CoreBodyTemperature              *coreBodyTemperature   `json:"coreBodyTemperature"`
	VO2Max                           *vo2Max                `json:"vo2Max"`
	RunVO2Max                        *runVO2Max             `json:"runVo2Max"`
	DailyVO2Max                      *vo2MaxDaily           `json:"dailyVo2Max"`
	Sleep                            *sleep                 `json:"sleep"`
	Electrocardiogram                *electrocardiogram     `json:"electrocardiogram"`
}

// dataSource is the DataSource of a list point (§5.1). There is no device
// id: a free-text displayName is the only device naming.
type dataSource struct {
	RecordingMethod Text `json:"recordingMethod"`
	Device          *struct {
		DisplayName  Text `json:"displayName"`
		Manufacturer Text `json:"manufacturer"`
		FormFactor   Text `json:"formFactor"`
	} `json:"device"`
	Application *struct {
		PackageName       Text `json:"packageName"`
		WebClientID       Text `json:"webClientId"`
		GoogleWebClientID Text `json:"googleWebClientId"`
	} `json:"application"`
	Platform Text `json:"platform"`
}

// sampleTime is an ObservationSampleTime. civilTime is output only and
// derivable, so it is not read.
type sampleTime struct {
	PhysicalTime Timestamp `json:"physicalTime"`
	UTCOffset    Duration  `json:"utcOffset"`
}

// interval is an ObservationTimeInterval or SessionTimeInterval; the civil
// fields are output only and absent on sleep, so they are not read.
type interval struct {
	StartTime      Timestamp `json:"startTime"`
	StartUTCOffset Duration  `json:"startUtcOffset"`
	EndTime        Timestamp `json:"endTime"`
	EndUTCOffset   Duration  `json:"endUtcOffset"`
}

// date is a google.type.Date in the user's time zone.
type date struct {
	Year  Int64 `json:"year"`
	Month Int64 `json:"month"`
	Day   Int64 `json:"day"`
}

type heartRate struct {
	SampleTime     *sampleTime `json:"sampleTime"`
	BeatsPerMinute Int64       `json:"beatsPerMinute"`
}

type dailyRestingHeartRate struct {
	Date           *date `json:"date"`
	BeatsPerMinute Int64 `json:"beatsPerMinute"`
}

type heartRateVariability struct {
	SampleTime *sampleTime `json:"sampleTime"`
	RMSSD      Float       `json:"rootMeanSquareOfSuccessiveDifferencesMilliseconds"`
	SDNN       Float       `json:"standardDeviationMilliseconds"`
}

// dailyHRV holds the nightly RMSSD. The deep-sleep RMSSD, non-REM heart rate
// and entropy have no kind in the vocabulary and are not read.
type dailyHRV struct {
	Date    *date `json:"date"`
	Average Float `json:"averageHeartRateVariabilityMilliseconds"`
}

type intervalCount struct {
	Interval *interval `json:"interval"`
	Count    Int64     `json:"count"`
}

type distance struct {
	Interval    *interval `json:"interval"`
	Millimeters Int64     `json:"millimeters"`
}

type altitude struct {
	Interval        *interval `json:"interval"`
	GainMillimeters Int64     `json:"gainMillimeters"`
}

type activeEnergy struct {
	Interval *interval `json:"interval"`
	Kcal     Float     `json:"kcal"`
}

type weight struct {
	SampleTime  *sampleTime `json:"sampleTime"`
	WeightGrams Float       `json:"weightGrams"`
}

type percentSample struct {
	SampleTime *sampleTime `json:"sampleTime"`
	Percentage Float       `json:"percentage"`
}

type height struct {
	SampleTime        *sampleTime `json:"sampleTime"`
	HeightMillimeters Int64       `json:"heightMillimeters"`
}

// dailyOxygenSaturation holds the nightly average; the confidence bounds are
// not a minimum and maximum (§4) and are not read.
type dailyOxygenSaturation struct {
	Date              *date `json:"date"`
	AveragePercentage Float `json:"averagePercentage"`
}

type dailyRespiratoryRate struct {
	Date             *date `json:"date"`
	BreathsPerMinute Float `json:"breathsPerMinute"`
}

// respiratorySummary holds the whole-sleep rate; the per-stage rates have no
// kind of their own and are not read.
type respiratorySummary struct {
	SampleTime     *sampleTime `json:"sampleTime"`
	FullSleepStats *struct {
		BreathsPerMinute Float `json:"breathsPerMinute"`
	} `json:"fullSleepStats"`
}

// dailySleepTemperature holds the mean skin temperature during the main
// sleep; the 30-day baseline and deviation are derived and not read.
type dailySleepTemperature struct {
	Date                      *date `json:"date"`
	NightlyTemperatureCelsius Float `json:"nightlyTemperatureCelsius"`
}

type coreBodyTemperature struct {
	SampleTime         *sampleTime `json:"sampleTime"`
	TemperatureCelsius Float       `json:"temperatureCelsius"`
}

type vo2Max struct {
	SampleTime *sampleTime `json:"sampleTime"`
	VO2Max     Float       `json:"vo2Max"`
}

type runVO2Max struct {
	SampleTime *sampleTime `json:"sampleTime"`
	RunVO2Max  Float       `json:"runVo2Max"`
}

type vo2MaxDaily struct {
	Date   *date `json:"date"`
	VO2Max Float `json:"vo2Max"`
}
