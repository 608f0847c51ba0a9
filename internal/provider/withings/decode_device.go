package withings

import (
	"strings"

	"github.com/ohx-health/ohx/internal/health"
)

// Batch converts a getdevice page into health devices, with no
// measurements. Device.ID is the deviceid (the hash_deviceid when deviceid
// is missing), the id getmeas and the other endpoints refer to. Devices
// with neither are skipped, since nothing can refer to them; a repeated id
// keeps its first entry. The battery name becomes a representative level
// (high 80 %, medium 50 %, low 20 %, otherwise unknown, -1), with the name
// kept in BatteryText. Session dates are in the device's time zone.
func (p DevicePage) Batch() (health.Batch, error) {
	c := newConverter(SourceGetdevice)
	types, levels := deviceTypes(), batteryLevels()
	seen := map[string]bool{}
	for i := range p.Devices {
		d := &p.Devices[i]
		id := deviceID(d.DeviceID, d.HashDeviceID)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		loc := c.zone(d.Timezone)
		typ, ok := types[string(d.Type)]
		if !ok {
			typ = health.DeviceUnknown
		}
		battery, ok := levels[strings.ToLower(strings.TrimSpace(string(d.Battery)))]
		if !ok {
			battery = -1
		}
		dev := health.Device{
			Provider:     health.ProviderWithings,
			ID:           id,
			Manufacturer: "Withings",
			Model:        modelName(d.Model, d.ModelID),
			Type:         typ,
			ProviderType: string(d.Type),
			Firmware:     string(d.Firmware),
			Battery:      battery,
			BatteryText:  string(d.Battery),
			FirstSession: optTime(d.FirstSessionDate, loc),
			LastSession:  optTime(d.LastSessionDate, loc),
			TimeZone:     zoneName(loc),
		}
		if d.ModelID.Set {
			dev.ModelID = itoa(d.ModelID.V)
		}
		c.batch.Devices = append(c.batch.Devices, dev)
	}
	return c.batch, nil
}
