import { SubsidyClaimsController } from './subsidy-claims.controller';
import { SubsidyProgrammesController } from './subsidy-programmes.controller';
import { SubsidyReportsController } from './subsidy-reports.controller';
import { TransferContractsController } from './transfer-contracts.controller';

/** The transfer-subsidy controllers (issue 7), registered together in ApiModule. */
export const SUBSIDY_CONTROLLERS = [TransferContractsController, SubsidyProgrammesController, SubsidyClaimsController, SubsidyReportsController];
