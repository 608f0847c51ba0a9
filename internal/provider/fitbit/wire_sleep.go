package fitbit

// sleep is a Sleep session (§4.1). Summary fields are int64 minutes sent as
// strings; stages are contiguous segments with their own offsets.
type sleep struct {
	Interval   *interval     `json:"interval"`
	Type       Text          `json:"type"`
	Stages     []sleepStage  `json:"stages"`
	Summary    *sleepSummary `json:"summary"`
	UpdateTime Timestamp     `json:"updateTime"`
}

// sleepStage is a SleepStage, also the shape of a short awakening.
type sleepStage struct {
	StartTime      Timestamp `json:"startTime"`
	StartUTCOffset Duration  `json:"startUtcOffset"`
	EndTime        Timestamp `json:"endTime"`
	EndUTCOffset   Duration  `json:"endUtcOffset"`
	Type           Text      `json:"type"`
}

type sleepSummary struct {
	MinutesAsleep        Int64 `json:"minutesAsleep"`
	MinutesAwake         Int64 `json:"minutesAwake"`
	MinutesInSleepPeriod Int64 `json:"minutesInSleepPeriod"`
	MinutesToFallAsleep  Int64 `json:"minutesToFallAsleep"`
	MinutesAfterWakeUp   Int64 `json:"minutesAfterWakeUp"`
	StagesSummary        []struct {
		Type    Text  `json:"type"`
		Minutes Int64 `json:"minutes"`
		Count   Int64 `json:"count"`
	} `json:"stagesSummary"`
}
