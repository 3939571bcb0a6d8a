package org.stbguest.operator;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.scheduling.annotation.EnableScheduling;

/** The operator server: images, devices, rollouts, transmissions, telemetry, the rollback guard. */
@SpringBootApplication
@ConfigurationPropertiesScan
@EnableScheduling
public class OperatorServerApplication {

    public static void main(String[] args) {
        SpringApplication.run(OperatorServerApplication.class, args);
    }
}
