package org.stbguest.image;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The trust core stays plain Java: no network, persistence or framework types. */
class ArchitectureTest {

    @Test
    void imageStoreUsesNoInfrastructure() {
        var classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("org.stbguest.image");
        noClasses().should().dependOnClassesThat()
                .resideInAnyPackage("io.netty..", "jakarta.persistence..", "org.springframework..", "java.net..")
                .check(classes);
    }
}
