//! A small bar chart drawn on the server as SVG (no script, no inline style: colours
//! come from classes in app.css, so the CSP holds).

/// One bar.
pub struct Bar {
    /// Left edge.
    pub x: i64,
    /// Top edge.
    pub y: i64,
    /// Width.
    pub width: i64,
    /// Height.
    pub height: i64,
    /// CSS class (`bar-0`, `bar-1`, … per series).
    pub class: String,
    /// Tooltip text.
    pub title: String,
}

/// A chart ready for the template.
pub struct BarChart {
    /// Drawing width.
    pub width: i64,
    /// Drawing height (bars plus the date labels below).
    pub height: i64,
    /// Baseline of the bars.
    pub baseline: i64,
    /// All bars.
    pub bars: Vec<Bar>,
    /// Label under the first day.
    pub first_label: String,
    /// Label under the last day.
    pub last_label: String,
    /// The largest value, shown at the top.
    pub max: i64,
    /// Text for screen readers.
    pub summary: String,
}

const SLOT: i64 = 20;
const PLOT_HEIGHT: i64 = 140;
const LABELS: i64 = 20;

/// Bars for `series` (name and one value per day) side by side for each day.
pub fn bars(days: &[chrono::NaiveDate], series: &[(&str, &[i64])]) -> BarChart {
    let count = i64::try_from(days.len()).unwrap_or(0);
    let max = series
        .iter()
        .flat_map(|(_, values)| values.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let per_series = i64::try_from(series.len()).unwrap_or(1).max(1);
    let bar_width = (SLOT - 4) / per_series;
    let mut bars = Vec::new();
    for (day_index, day) in days.iter().enumerate() {
        let slot_x = i64::try_from(day_index).unwrap_or(0) * SLOT + 2;
        for (series_index, (name, values)) in series.iter().enumerate() {
            let value = values.get(day_index).copied().unwrap_or(0);
            let height = value * PLOT_HEIGHT / max;
            let offset = i64::try_from(series_index).unwrap_or(0) * bar_width;
            bars.push(Bar {
                x: slot_x + offset,
                y: PLOT_HEIGHT - height,
                width: bar_width,
                height,
                class: format!("bar-{series_index}"),
                title: format!("{}: {value} {name}", day.format("%b %-d")),
            });
        }
    }
    let totals: Vec<String> = series
        .iter()
        .map(|(name, values)| format!("{} {name}", values.iter().sum::<i64>()))
        .collect();
    BarChart {
        width: count * SLOT,
        height: PLOT_HEIGHT + LABELS,
        baseline: PLOT_HEIGHT,
        bars,
        first_label: days
            .first()
            .map(|d| d.format("%b %-d").to_string())
            .unwrap_or_default(),
        last_label: days
            .last()
            .map(|d| d.format("%b %-d").to_string())
            .unwrap_or_default(),
        max,
        summary: format!("Over the last {count} days: {}", totals.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_value() {
        let days: Vec<chrono::NaiveDate> = (1..=3)
            .filter_map(|d| chrono::NaiveDate::from_ymd_opt(2026, 1, d))
            .collect();
        let chart = bars(&days, &[("sign-ups", &[0, 2, 4]), ("articles", &[1, 0, 0])]);
        assert_eq!(chart.bars.len(), 6);
        assert_eq!(chart.max, 4);
        assert_eq!(chart.bars[4].height, PLOT_HEIGHT);
        assert_eq!(chart.bars[2].height, PLOT_HEIGHT / 2);
        assert_eq!(chart.bars[0].height, 0);
        assert!(chart.summary.contains("6 sign-ups"));
    }
}
