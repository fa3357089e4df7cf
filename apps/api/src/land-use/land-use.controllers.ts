import { LandUseContractsController, LandUseJobsController } from './land-use-contracts.controller';
import { LandUseReportsController } from './land-use-reports.controller';

/** The state-forest-land controllers (issue 8), registered together in ApiModule. */
export const LAND_USE_CONTROLLERS = [LandUseContractsController, LandUseJobsController, LandUseReportsController];
