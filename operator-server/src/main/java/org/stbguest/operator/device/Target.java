package org.stbguest.operator.device;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.stbguest.operator.DomainException;

/**
 * Which boxes a rollout targets: those of the image's hardware models that also pass the rollout's optional filter.
 * A box passes when it carries every tag listed, lies in the region named (if one is) and its serial begins with the
 * prefix given (if one is). An empty filter takes every box of the models.
 *
 * @param models       the image's hardware models (never empty)
 * @param tags         tags a box must all carry (may be empty)
 * @param region       the region a box must lie in, or null
 * @param serialPrefix the start of a box's serial, or null
 */
public record Target(List<String> models, List<String> tags, String region, String serialPrefix) {

    /** Region and tag names: what an operator types, and safe in any query or CSV. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final Pattern SERIAL_PREFIX = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    /** The most tags a box may carry, and a filter may name. */
    public static final int MAX_TAGS = 16;

    /** A rollout's filter as an operator gives it, before the image's models are known. */
    public record Filter(List<String> tags, String region, String serialPrefix) {

        public static final Filter NONE = new Filter(List.of(), null, null);

        public Filter {
            tags = tags == null ? List.of() : List.copyOf(tags);
            checkTags(tags);
            if (region != null && !NAME.matcher(region).matches()) {
                throw DomainException.invalid("invalid-target", "region must match " + NAME.pattern());
            }
            if (serialPrefix != null && !SERIAL_PREFIX.matcher(serialPrefix).matches()) {
                throw DomainException.invalid("invalid-target", "serialPrefix must match " + SERIAL_PREFIX.pattern());
            }
        }

        public boolean isEmpty() {
            return tags.isEmpty() && region == null && serialPrefix == null;
        }
    }

    public Target {
        models = List.copyOf(models);
        tags = tags == null ? List.of() : List.copyOf(tags);
        if (models.isEmpty()) {
            throw new IllegalArgumentException("a target needs at least one hardware model");
        }
    }

    /** Every box of these models. */
    public static Target of(Collection<String> models) {
        return new Target(List.copyOf(models), List.of(), null, null);
    }

    /** The boxes of these models that pass {@code filter} (null: every one). */
    public static Target of(Collection<String> models, Filter filter) {
        Filter f = filter == null ? Filter.NONE : filter;
        return new Target(List.copyOf(models), f.tags(), f.region(), f.serialPrefix());
    }

    /** Whether a box of this model, region, tags and serial is a target. */
    public boolean matches(String model, String boxRegion, Collection<String> boxTags, String serial) {
        return models.contains(model)
                && (region == null || region.equals(boxRegion))
                && (serialPrefix == null || serial != null && serial.startsWith(serialPrefix))
                && (boxTags != null && boxTags.containsAll(tags));
    }

    /**
     * The target as a SQL condition on the device table under {@code alias}, with its named parameters (prefixed
     * {@code t_}). Every value is bound, never spliced; a serial prefix is matched with {@code starts_with}, so a
     * {@code _} or {@code %} in it means itself.
     */
    public Sql sql(String alias) {
        List<String> where = new ArrayList<>();
        Map<String, Object> params = new LinkedHashMap<>();
        where.add(alias + ".hardware_model in (:t_models)");
        params.put("t_models", models);
        if (region != null) {
            where.add(alias + ".region = :t_region");
            params.put("t_region", region);
        }
        if (serialPrefix != null) {
            where.add("starts_with(" + alias + ".serial, :t_prefix)");
            params.put("t_prefix", serialPrefix);
        }
        for (int i = 0; i < tags.size(); i++) {
            where.add(":t_tag" + i + " = any(" + alias + ".tags)");
            params.put("t_tag" + i, tags.get(i));
        }
        return new Sql(String.join(" and ", where), params);
    }

    /** A SQL condition and the values of its named parameters. */
    public record Sql(String condition, Map<String, Object> params) {
    }

    static void checkTags(Collection<String> tags) {
        if (tags.size() > MAX_TAGS) {
            throw DomainException.invalid("invalid-tags", "at most " + MAX_TAGS + " tags, got " + tags.size());
        }
        for (String t : tags) {
            if (t == null || !NAME.matcher(t).matches()) {
                throw DomainException.invalid("invalid-tags", "tags must match " + NAME.pattern() + ", got " + t);
            }
        }
    }
}
