package org.stbguest.operator;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Feature packages form no cycles, keep their repositories to themselves, and services stay free of the web layer. */
class ArchitectureTest {

    private final JavaClasses classes = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("org.stbguest.operator");

    @Test
    void featurePackagesAreFreeOfCycles() {
        slices().matching("org.stbguest.operator.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void servicesAndEntitiesDoNotUseTheServletApi() {
        noClasses().that().haveSimpleNameEndingWith("Service").or().haveSimpleNameEndingWith("Entity")
                .should().dependOnClassesThat().resideInAnyPackage("jakarta.servlet..", "org.springframework.web..")
                .check(classes);
    }

    @Test
    void repositoriesArePrivateToTheirFeature() {
        classes().that().haveSimpleNameEndingWith("Repository").should().notBePublic().check(classes);
    }

    @Test
    void theRolloutAndTheGuardSpeakNoHttp() {
        // the domain throws DomainException; statuses and problem details are the web layer's, in one advice
        noClasses().that().resideInAnyPackage("org.stbguest.operator.rollout..", "org.stbguest.operator.guard..",
                        "org.stbguest.operator.events..")
                .and().haveSimpleNameNotEndingWith("Controller")
                .should().dependOnClassesThat().resideInAnyPackage("org.springframework.http..",
                        "org.springframework.web..", "org.stbguest.operator.web..", "jakarta.servlet..")
                .check(classes);
    }
}
