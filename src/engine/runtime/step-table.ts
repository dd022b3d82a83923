/** The step functions by name: the workflow's order is in `STEPS` (events.ts). */
import type { StepName } from "../events";
import { act } from "../steps/act";
import { finalize } from "../steps/finalize";
import { plan } from "../steps/plan";
import { receive } from "../steps/receive";
import { respond } from "../steps/respond";
import { retrieve } from "../steps/retrieve";
import { verify } from "../steps/verify";
import type { StepFunction } from "./step-context";

export const STEP_FUNCTIONS: Record<StepName, StepFunction> = { receive, plan, retrieve, act, respond, verify, finalize };
