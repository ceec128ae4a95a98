// The parts of ECharts the product draws: pie, bar and line charts with a title, tooltip, legend
// and grid, on canvas. Bundled to static/echarts.min.js by scripts/build-echarts.sh.
import * as echarts from "echarts/core";
import { BarChart, LineChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, TitleComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent, CanvasRenderer]);
window.echarts = echarts;
