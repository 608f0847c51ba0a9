package fitbit

// rollupPoint is one point of a rollUp (physical window) or dailyRollUp
// (civil window) response. ohx reads rollups only for total-calories, which
// has no list (§3.3, §10.9). Rollups carry no data source.
type rollupPoint struct {
	StartTime      Timestamp      `json:"startTime"`
	EndTime        Timestamp      `json:"endTime"`
	CivilStartTime *civilDateTime `json:"civilStartTime"`
	CivilEndTime   *civilDateTime `json:"civilEndTime"`
	TotalCalories  *totalCalories `json:"totalCalories"`
}

type totalCalories struct {
	KcalSum Float `json:"kcalSum"`
}

// civilDateTime is a CivilDateTime; midnight is "time": {}.
type civilDateTime struct {
	Date *date `json:"date"`
	Time *struct {
		Hours   Int64 `json:"hours"`
		Minutes Int64 `json:"minutes"`
		Seconds Int64 `json:"seconds"`
		Nanos   Int64 `json:"nanos"`
	} `json:"time"`
}
