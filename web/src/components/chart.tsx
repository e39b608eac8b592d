import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface LineChartProps {
  /** Epoch seconds on x. */
  x: number[];
  y: number[];
  label: string;
  height?: number;
  /** Show at least this many seconds up to the last point (e.g. the 7 days of a trend). */
  spanSeconds?: number;
}

const STROKE = '#2f6fdf';
const FILL = 'rgba(47, 111, 223, 0.15)';

/** A size over time (uPlot); the numbers are also in the table or text next to it. */
export function LineChart(props: LineChartProps) {
  const options = (width: number): uPlot.Options => ({
    width,
    height: props.height ?? 120,
    legend: { show: false },
    cursor: { y: false },
    // The whole window even with few points, from 0: a flat line reads as flat, not as noise.
    scales: {
      // From the data, not uPlot's guess: for one point it widens a time scale by 86,400,000 s.
      x: { time: true, range: () => timeRange(props.x, props.spanSeconds ?? 0) },
      y: { range: (_chart, _min, max) => [0, Math.max(1, max) * 1.15] },
    },
    axes: [{ size: 30 }, { size: 44 }],
    series: [
      {},
      { label: props.label, stroke: STROKE, fill: FILL, width: 2, points: { show: props.x.length < 40 } },
    ],
  });
  return <Plot options={options} data={[props.x, props.y]} label={props.label} />;
}

export interface BarChartProps {
  labels: string[];
  values: number[];
  label: string;
  height?: number;
}

/** Bars for categories (budget shares, histogram buckets); the x axis shows the category labels. */
export function BarChart(props: BarChartProps) {
  const x = props.labels.map((_, index) => index);
  const options = (width: number): uPlot.Options => ({
    width,
    height: props.height ?? 200,
    legend: { show: false },
    cursor: { y: false },
    scales: { x: { time: false, range: [-0.5, props.labels.length - 0.5] } },
    axes: [
      {
        size: 40,
        splits: () => x,
        values: (_chart, splits) => splits.map((split) => props.labels[split] ?? ''),
      },
      { size: 50 },
    ],
    series: [
      {},
      {
        label: props.label,
        stroke: STROKE,
        fill: 'rgba(47, 111, 223, 0.6)',
        paths: uPlot.paths.bars?.({ size: [0.7, 60] }),
        points: { show: false },
      },
    ],
  });
  return <Plot options={options} data={[x, props.values]} label={props.label} />;
}

function Plot(props: { options: (width: number) => uPlot.Options; data: uPlot.AlignedData; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const chart = new uPlot(props.options(Math.max(200, element.clientWidth)), props.data, element);
    const resized = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(200, element.clientWidth), height: chart.height }),
    );
    resized.observe(element);
    return () => {
      resized.disconnect();
      chart.destroy();
    };
    // Redrawn when the numbers change, not on every render of the view around it.
    // The options close over the same numbers, so the key covers them too.
  }, [JSON.stringify(props.data), props.label]);
  return <div class="chart" ref={box} role="img" aria-label={props.label} />;
}

/** The last point, and at least `span` seconds (an hour when there is one point and no span) before it. */
function timeRange(x: number[], span: number): [number, number] {
  const last = x[x.length - 1] ?? Date.now() / 1000;
  const first = Math.min(x[0] ?? last, last - span);
  return [first === last ? last - 3600 : first, last];
}
