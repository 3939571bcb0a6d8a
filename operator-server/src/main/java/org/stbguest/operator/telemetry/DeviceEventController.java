package org.stbguest.operator.telemetry;

import java.util.List;
import java.util.UUID;
import org.springframework.data.domain.PageRequest;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** A box's reports, newest first: what it staged, committed, fell back from (with the reason), crashed on. */
@RestController
class DeviceEventController {

    private final DeviceEventRepository events;

    DeviceEventController(DeviceEventRepository events) {
        this.events = events;
    }

    @GetMapping("/api/devices/{id}/events")
    @Transactional(readOnly = true)
    List<DeviceEvent.View> events(@PathVariable UUID id, @RequestParam(defaultValue = "100") int limit) {
        return events.findByDeviceIdOrderByIdDesc(id, PageRequest.of(0, Math.max(1, Math.min(limit, 1000))))
                .stream().map(DeviceEvent::view).toList();
    }
}
