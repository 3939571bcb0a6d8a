package org.stbguest.agent;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Boot control, storage and hypervisor code knows nothing of the network; the agent has no package cycles. */
class ArchitectureTest {

    private final com.tngtech.archunit.core.domain.JavaClasses classes = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("org.stbguest.agent");

    @Test
    void slotStorageAndHypervisorUseNoNetworkOrFramework() {
        noClasses().that().resideInAnyPackage("org.stbguest.agent.slot..", "org.stbguest.agent.storage..",
                        "org.stbguest.agent.hypervisor..")
                .should().dependOnClassesThat().resideInAnyPackage("io.netty..", "org.springframework..",
                        "java.net.http..", "org.stbguest.multicast..")
                .check(classes);
    }

    @Test
    void noPackageCycles() {
        slices().matching("org.stbguest.agent.(*)..").should().beFreeOfCycles().check(classes);
    }
}
