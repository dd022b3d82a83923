/** The step functions by name: the workflow's order is in `STEPS` (events.ts). */
import type { StepName } from "../events";
import { act } from "./act";
import { finalize } from "./finalize";
import { plan } from "./plan";
import { receive } from "./receive";
import { respond } from "./respond";
import { retrieve } from "./retrieve";
import { verify } from "./verify";
import type { StepFunction } from "./step";

export const STEP_FUNCTIONS: Record<StepName, StepFunction> = { receive, plan, retrieve, act, respond, verify, finalize };
