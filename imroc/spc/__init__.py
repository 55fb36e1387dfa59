"""Statistical process control: limits and rules, the summary sentence, the chart."""
